"""Membership from verified payments: apply a succeeded payment once (grant or extend the
membership, write the split), record failures, sync with the provider, auto-renewal
settings and free trials. Services flush, never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from payments import ledger, states
from payments.declines import decline_code, failure_text
from payments.gateway import get_gateway
from payments.models import (
    QUESTION_KINDS,
    AutoRenewal,
    BillingCustomer,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.pricing import eligible_referrer, partners_of, pricing_of
from payments.refunds import refund_at_provider, sync_refunds
from planet import jobs, policy
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.members import services as members
from planet.members.entitlement import PurchaseKind, classify_purchase
from planet.models import utcnow
from planet.planets.models import Membership, Planet

log = logging.getLogger(__name__)
YEAR = members.YEAR


def billing_customer(user_id: int, lock: bool = False) -> BillingCustomer:
    statement = select(BillingCustomer).where(BillingCustomer.user_id == user_id)
    if lock:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    customer = db.session.scalar(statement)
    if customer is None:
        customer = BillingCustomer(user_id=user_id)
        db.session.add(customer)
        db.session.flush()
    return customer


# ---------------------------------------------------------------- success (from verified state)


def _intent_matches(payment: Payment, intent: dict | None) -> bool:
    if intent is None:
        return payment.amount == 0
    return (
        int(intent.get("amount", -1)) == payment.amount
        and str(intent.get("currency", "")).lower() == payment.currency
        and intent.get("status") == "succeeded"
    )


def apply_payment_success(payment: Payment, intent: dict | None, now: datetime) -> str:
    """Grant or extend the membership and write the split, once. Returns what happened.

    Runs under the buyer's customer-row lock, so two payments of the same person are applied
    one after the other: the second join of an active member is refunded.
    """
    billing_customer(payment.user_id, lock=True)
    db.session.refresh(payment, with_for_update=True)
    try:
        states.check(payment, PaymentStatus.SUCCEEDED)
    except (states.AlreadyPaid, states.AlreadyRefunded):
        return "already applied"  # a replayed or late event changes nothing
    if not _intent_matches(payment, intent):
        log.warning("payment %s does not match the provider's intent; ignored", payment.id)
        return "mismatch"
    if payment.kind in QUESTION_KINDS:
        return _apply_question_payment(payment, intent, now)
    planet = db.session.get(Planet, payment.planet_id)
    if payment.kind is PaymentKind.GIFT:
        return _apply_gift(payment, planet, intent, now)
    membership = members.get_membership(planet.id, payment.user_id, lock=True)
    if membership is not None:
        db.session.refresh(membership)
    purchase = classify_purchase(membership, planet, now, paid_as=payment.kind)
    states.transition(payment, PaymentStatus.SUCCEEDED)
    payment.paid_at = now
    if intent is not None:
        payment.payment_method_id = intent.get("payment_method") or payment.payment_method_id
    referrer_id = payment.referrer_id
    if (
        referrer_id is not None
        and eligible_referrer(planet, referrer_id, payment.user_id, now) is None
    ):
        referrer_id = None
    payment.referrer_id = referrer_id
    pricing = pricing_of(planet)
    shares = ledger.split(
        payment.amount,
        fee_bps=ledger.fee_bps(),
        referral_bps=pricing.referral_rate_bps or 0,
        referrer_id=referrer_id,
        owner_id=planet.owner_id,
        partners=[(p.user_id, p.share_bps) for p in partners_of(planet)],
    )
    ledger.write_payment_split(payment, shares, now)
    if purchase.kind is PurchaseKind.DUPLICATE:  # already a member, banned, or dissolved
        payment.duplicate = True
        db.session.flush()
        if payment.amount > 0:
            refund_at_provider(payment, payment.amount, reason="duplicate", actor_id=None, now=now)
        return "duplicate refunded"
    if purchase.is_renewal:
        membership = members.extend_membership(membership, YEAR, now=now)
    else:
        membership = members.grant_membership(planet, payment.user_id, purchase.ends_at)
    payment.membership_id = membership.id
    payment.period_start = purchase.starts_at
    payment.period_end = membership.expires_at
    if payment.auto_renew and payment.payment_method_id:
        set_auto_renewal(membership, True, payment.payment_method_id)
    db.session.flush()
    jobs.defer("payments.payment_succeeded", payment_id=payment.id)
    if payment.kind is PaymentKind.JOIN:
        jobs.defer(
            "payments.join_paid",
            planet_id=planet.id,
            user_id=payment.user_id,
            referred=referrer_id is not None,
        )
        if referrer_id is not None:
            jobs.defer(
                "payments.referral_joined",
                planet_id=planet.id,
                referrer_id=referrer_id,
                user_id=payment.user_id,
            )
    return "granted"


def _apply_gift(payment: Payment, planet: Planet, intent: dict | None, now: datetime) -> str:
    """A gift grants the buyer nothing: the split is written and the gift code starts to work
    (payments/gifts.py)."""
    from payments.gifts import gift_paid

    states.transition(payment, PaymentStatus.SUCCEEDED)
    payment.paid_at = now
    if intent is not None:
        payment.payment_method_id = intent.get("payment_method") or payment.payment_method_id
    shares = ledger.split(
        payment.amount,
        fee_bps=ledger.fee_bps(),
        referral_bps=0,
        referrer_id=None,
        owner_id=planet.owner_id,
        partners=[(p.user_id, p.share_bps) for p in partners_of(planet)],
    )
    ledger.write_payment_split(payment, shares, now)
    gift_paid(payment, now)
    return "gift"


def _apply_question_payment(payment: Payment, intent: dict | None, now: datetime) -> str:
    """A paid question or a peek: it buys no membership (payments/questions.py)."""
    from payments.questions import apply_question_success

    states.transition(payment, PaymentStatus.SUCCEEDED)
    payment.paid_at = now
    if intent is not None:
        payment.payment_method_id = intent.get("payment_method") or payment.payment_method_id
    outcome = apply_question_success(payment, now)
    db.session.flush()
    jobs.defer("payments.payment_succeeded", payment_id=payment.id)
    return outcome


def mark_payment_failed(payment: Payment, message: str) -> None:
    try:
        states.transition(payment, PaymentStatus.FAILED)
    except (states.AlreadyPaid, states.AlreadyRefunded):
        return  # a stale failure after success changes nothing
    payment.failure_message = (message or "")[:255]
    db.session.flush()


def sync_payment(payment: Payment, now: datetime | None = None) -> str:
    """Bring a payment in line with the provider's PaymentIntent (order-independent)."""
    now = now or utcnow()
    if payment.provider_intent_id is None:
        return "no intent"
    intent = get_gateway().fetch_payment(payment.provider_intent_id)
    status = intent.get("status")
    if status == "succeeded":
        result = apply_payment_success(payment, intent, now)
        sync_refunds(payment, now)
        return result
    if status in ("requires_payment_method", "canceled"):
        error = intent.get("last_payment_error") or {}
        code = decline_code(error.get("code"), error.get("decline_code"))
        mark_payment_failed(payment, failure_text(code, error.get("message") or status))
        return "failed"
    return status or "unknown"


# ---------------------------------------------------------------- auto-renewal, trials


def set_auto_renewal(membership: Membership, enabled: bool, payment_method_id: str | None = None):
    row = db.session.scalar(select(AutoRenewal).where(AutoRenewal.membership_id == membership.id))
    if row is None:
        row = AutoRenewal(membership_id=membership.id, enabled=enabled)
        db.session.add(row)
    row.enabled = enabled
    if payment_method_id:
        row.payment_method_id = payment_method_id
    db.session.flush()
    return row


def toggle_auto_renewal(planet: Planet, user, enabled: bool) -> AutoRenewal:
    membership = members.get_membership(planet.id, user.id)
    if membership is None:
        raise NotFound(_l("You are not a member of this planet."))
    row = db.session.scalar(select(AutoRenewal).where(AutoRenewal.membership_id == membership.id))
    if enabled and (row is None or not row.payment_method_id):
        raise ServiceError(_l("Pay once with a card to switch on auto-renewal."))
    return set_auto_renewal(membership, enabled)


def start_trial(
    planet: Planet, user, now: datetime | None = None, *, rules_accepted: bool = False
) -> Membership:
    """A free trial of the planet's trial length, once per person and planet, for someone who
    accepted the planet's rules."""
    now = now or utcnow()
    policy.require(user, policy.Action.JOIN, planet)
    pricing = pricing_of(planet)
    if not pricing.trial_days or planet.is_free:
        raise ServiceError(_l("This planet offers no free trial."))
    if pricing.trial_requires_card and not _has_saved_card(user.id):
        raise ServiceError(_l("This trial needs a card on file: pay once or add a card first."))
    if members.get_membership(planet.id, user.id) is not None:
        raise Conflict(_l("The free trial is only for people who have never joined."))
    members.check_rules_accepted(planet, rules_accepted)
    return members.grant_membership(
        planet, user.id, now + timedelta(days=pricing.trial_days), is_trial=True
    )


def _has_saved_card(user_id: int) -> bool:
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user_id))
    return bool(customer and customer.provider_customer_id)
