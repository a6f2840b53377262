"""Money: the Stripe gateway, checkout, webhooks, the fee-split ledger, refunds, recurring
billing (auto-renewal, dunning, reminders), settlement, payouts and income reports. Imports
point one way: payments imports planet, never the reverse.

Where things live: pricing (settings, partners, coupons, referrals), checkout (quotes,
checkout, card confirmation), grant (applying a verified payment, failures, sync, trials),
refunds, declines, states (the payment state machine), renewals (off-session charges, price,
grace period), dunning (renewal attempts and retries), reminders, notices (money
notifications), settlement, reconcile, webhooks, views/ (one blueprint, by page group).

Periodic job bodies the workers call with `now`: payments.dunning.sweep_renewals,
payments.reminders.sweep_reminders, payments.settlement.sweep_settlement / sweep_payouts,
payments.reconcile.sweep_reconcile(now, last_started).
Jobs this package handles: "payments.process_event"(event_id), "planets.dissolved"(planet_id),
and (payments.notices) "payments.payment_succeeded"(payment_id),
"payments.refund_completed"(refund_id), "payments.renewal_failed"(membership_id), and
(payments.questions) "payments.question_answered"(topic_id); its periodic body
payments.questions.sweep_question_deadlines refunds paid questions past their deadline.
"""

from __future__ import annotations

import os

from payments import exports, notices, questions, tasks  # noqa: F401  job handlers, export sections


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def init_app(app) -> None:
    app.config.setdefault(
        "STRIPE_CONNECT_ENABLED",
        _bool("STRIPE_CONNECT_ENABLED", "api.stripe.com" in app.config.get("STRIPE_API_BASE", "")),
    )
    app.config.setdefault("STRIPE_LIVEMODE", _bool("STRIPE_LIVEMODE", False))
