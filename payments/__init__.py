"""Money: the Stripe gateway, checkout, webhooks, the fee-split ledger, refunds, settlement,
payouts and income reports. Imports point one way: payments imports planet, never the reverse.

Contracts with the workers (plain functions, ids only):
- payments.billing.charge_renewal(membership_id) -> RenewalOutcome
- payments.settlement.settle_due_earnings(now) -> int
- payments.settlement.run_payouts(now) -> dict
- payments.reconcile.reconcile(since) -> dict
Jobs this package handles: "payments.process_event"(event_id), "planets.dissolved"(planet_id).
Jobs it defers: "payments.payment_succeeded"(payment_id), "payments.refund_completed"(refund_id),
"payments.renewal_failed"(membership_id).
"""

from __future__ import annotations

import os

from payments import tasks  # noqa: F401  registers the inline job handlers


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def init_app(app) -> None:
    app.config.setdefault(
        "STRIPE_CONNECT_ENABLED",
        _bool("STRIPE_CONNECT_ENABLED", "api.stripe.com" in app.config.get("STRIPE_API_BASE", "")),
    )
    app.config.setdefault("STRIPE_LIVEMODE", _bool("STRIPE_LIVEMODE", False))
