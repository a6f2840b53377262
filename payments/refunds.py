"""Refunds: by the member within the window, by the owner any time, of duplicates, of
refunds made at the provider, and of unused time when a planet is dissolved.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from payments import ledger, states
from payments.gateway import GatewayError, get_gateway
from payments.models import (
    PAID_STATUSES,
    QUESTION_KINDS,
    Payment,
    PaymentKind,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from planet import jobs, policy
from planet.errors import Conflict, NotAllowed, NotFound, ServiceError
from planet.extensions import db
from planet.members import services as members
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- refunds


def refund_deadline(payment: Payment) -> datetime | None:
    return payment.paid_at + ledger.refund_window() if payment.paid_at else None


def member_may_refund(payment: Payment, now: datetime) -> bool:
    return (
        payment.kind not in QUESTION_KINDS
        and payment.status is PaymentStatus.SUCCEEDED
        and payment.refunded_amount == 0
        and payment.amount > 0
        and now < refund_deadline(payment)
    )


def refundable_payment(planet_id: int, user_id: int, now: datetime) -> Payment | None:
    """The member's newest payment in this planet that they may still refund themselves
    (`member_may_refund`), if any: what the leave page offers."""
    recent = db.session.scalars(
        select(Payment)
        .where(
            Payment.planet_id == planet_id,
            Payment.user_id == user_id,
            Payment.status == PaymentStatus.SUCCEEDED,
            Payment.kind != PaymentKind.GIFT,  # a gift is not the buyer's own membership
            Payment.kind.not_in(QUESTION_KINDS),
        )
        .order_by(Payment.id.desc())
        .limit(5)
    ).all()
    return next((p for p in recent if member_may_refund(p, now)), None)


def refund_payment(
    payment: Payment,
    actor,
    amount: int | None = None,
    now: datetime | None = None,
    *,
    request_key: str | None = None,
) -> Refund:
    """Refund a payment: the member in full within the window, or the owner any time.

    After the window the owner refunds from their own balance (the split is not reversed).
    A `request_key` already used on this payment (the same form sent twice) answers with the
    refund it made, and refunds nothing more.
    """
    now = now or utcnow()
    planet = db.session.get(Planet, payment.planet_id)
    is_owner = policy.may(actor, policy.Action.MANAGE_MONEY, planet)
    if payment.user_id != actor.id and not is_owner:
        raise NotFound(_l("We could not find that payment."))
    if payment.kind in QUESTION_KINDS:
        raise Conflict(
            _l("A paid question is refunded by itself when it is declined or not answered in time.")
        )
    payment = states.lock(payment)
    done = _catch_up_with_provider(payment, amount, now)
    if done is not None:
        return done
    if request_key:
        made = db.session.scalar(
            select(Refund).where(Refund.payment_id == payment.id, Refund.request_key == request_key)
        )
        if made is not None:
            return made
    if payment.status is PaymentStatus.DISPUTED:
        raise Conflict(
            _l("The buyer's bank is disputing this payment; it cannot be refunded until that ends.")
        )
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise Conflict(_l("This payment cannot be refunded."))
    in_window = now < refund_deadline(payment)
    if not is_owner:
        if amount not in (None, payment.amount):
            raise ServiceError(_l("Members can only refund a payment in full."))
        if not in_window:
            raise NotAllowed(
                _l(
                    "Refunds are possible within %(hours)s hours of paying; that time has "
                    "passed. Ask the owner if you need help.",
                    hours=current_app.config.get("REFUND_WINDOW_HOURS", 72),
                )
            )
        if payment.refunded_amount:
            raise Conflict(_l("This payment was already partly refunded."))
    amount = payment.refundable_amount if amount is None else amount
    if not 0 < amount <= payment.refundable_amount:
        raise ServiceError(_l("The refund amount must be between 0 and what is left to refund."))
    reason = "owner" if is_owner and payment.user_id != actor.id else "member"
    return refund_at_provider(
        payment,
        amount,
        reason=reason,
        actor_id=actor.id,
        now=now,
        owner_bears=not in_window,
        request_key=request_key,
    )


def refund_in_full(payment: Payment, *, reason: str, request_key: str, now: datetime) -> Refund:
    """The system's full refund of one payment (a declined or overdue paid question), exactly
    once: under the payment's lock, after importing what the provider already refunded (a run
    killed after the provider call), and by `request_key` (the provider's idempotency key and
    our refund's key). A second call answers with the refund the first one made."""
    payment = states.lock(payment)
    done = _catch_up_with_provider(payment, None, now)
    if done is not None:
        return done
    made = db.session.scalar(
        select(Refund).where(Refund.payment_id == payment.id, Refund.request_key == request_key)
    )
    if made is not None:
        return made
    if payment.status is not PaymentStatus.SUCCEEDED or payment.refunded_amount:
        raise Conflict(_l("This payment cannot be refunded."))
    return refund_at_provider(
        payment, payment.amount, reason=reason, actor_id=None, now=now, request_key=request_key
    )


def _catch_up_with_provider(payment: Payment, amount: int | None, now: datetime) -> Refund | None:
    """Import refunds the provider made that we hold no row for (a request killed after the
    provider call, before our commit), so a retry refunds only what is really left. When the
    newest imported refund is the one asked for again, it is the answer: the retry is done."""
    try:
        imported = sync_refunds(payment, now)
    except GatewayError as error:
        raise ServiceError(
            _l("The payment provider could not make the refund now. Nothing was changed."), 502
        ) from error
    if not imported:
        return None
    newest = db.session.scalar(
        select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id.desc()).limit(1)
    )
    wanted = payment.amount if amount is None else amount
    return newest if newest is not None and newest.amount == wanted else None


def refund_at_provider(
    payment: Payment,
    amount: int,
    *,
    reason: str,
    actor_id: int | None,
    now: datetime,
    owner_bears: bool = False,
    request_key: str | None = None,
) -> Refund:
    refund = Refund(
        payment_id=payment.id,
        amount=amount,
        status=RefundStatus.PENDING,
        reason=reason,
        initiated_by=actor_id,
        owner_bears=owner_bears,
        request_key=request_key,
        created_at=now,
    )
    db.session.add(refund)
    db.session.flush()
    try:
        result = get_gateway().refund(
            intent_id=payment.provider_intent_id,
            amount=amount,
            metadata={
                "refund_id": refund.id,
                "payment_id": payment.id,
                "request_key": request_key or "",
            },
            idempotency_key=(
                f"planet-refund-{payment.id}-{request_key}"
                if request_key
                else f"planet-refund-{refund.id}"
            ),
        )
    except GatewayError as error:
        log.warning("refund of payment %s failed: %s", payment.id, error)
        raise ServiceError(
            _l("The payment provider could not make the refund now. Nothing was changed."), 502
        ) from error
    refund.provider_refund_id = result.get("id")
    _complete_refund(payment, refund, now)
    return refund


def _complete_refund(payment: Payment, refund: Refund, now: datetime) -> None:
    refund.status = RefundStatus.SUCCEEDED
    payment.refunded_amount += refund.amount
    states.transition(
        payment,
        PaymentStatus.REFUNDED
        if payment.refunded_amount >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED,
    )
    ledger.write_refund_reversal(payment, refund, now, owner_bears=refund.owner_bears)
    if payment.status is PaymentStatus.REFUNDED and not payment.duplicate:
        take_back_period(payment, now)
    db.session.flush()
    jobs.defer("payments.refund_completed", refund_id=refund.id)


def take_back_period(payment: Payment, now: datetime) -> None:
    """A fully refunded (or charged back) payment no longer pays for its period."""
    if payment.membership_id is None:
        return
    membership = db.session.get(Membership, payment.membership_id)
    if membership is None or membership.role is Role.OWNER:
        return
    if membership.status not in (MembershipStatus.ACTIVE, MembershipStatus.LEFT):
        return
    remaining_end = None
    if payment.kind is not PaymentKind.JOIN and membership.expires_at and payment.period_end:
        remaining_end = membership.expires_at - (payment.period_end - payment.period_start)
    if membership.status is MembershipStatus.LEFT:
        # A member who left keeps a paid term to come back to (entitlement.paid_term_left):
        # the refunded period is no longer part of it.
        if remaining_end is not None and remaining_end > now:
            membership.expires_at = remaining_end
        else:
            members.end_membership(membership, MembershipStatus.REFUNDED)
    elif remaining_end is not None and remaining_end > now:
        planet = db.session.get(Planet, payment.planet_id)
        members.grant_membership(planet, membership.user_id, remaining_end)
    else:
        members.end_membership(membership, MembershipStatus.REFUNDED)


def sync_refunds(payment: Payment, now: datetime | None = None) -> int:
    """Import refunds made at the provider that we have not recorded (dashboard, missed)."""
    now = now or utcnow()
    if payment.provider_intent_id is None or payment.status not in PAID_STATUSES:
        return 0
    imported = 0
    for item in get_gateway().list_refunds(payment.provider_intent_id):
        if item.get("status") not in ("succeeded", "pending"):
            continue
        known = db.session.scalar(select(Refund).where(Refund.provider_refund_id == item["id"]))
        if known is not None:
            continue
        our_id = (item.get("metadata") or {}).get("refund_id")
        ours = db.session.get(Refund, int(our_id)) if str(our_id or "").isdigit() else None
        if ours is not None and ours.payment_id == payment.id:
            ours.provider_refund_id = item["id"]
            if ours.status is not RefundStatus.SUCCEEDED:
                _complete_refund(payment, ours, now)
                imported += 1
            continue
        amount = min(int(item.get("amount") or 0), payment.refundable_amount)
        if amount <= 0:
            continue
        refund = Refund(
            payment_id=payment.id,
            amount=amount,
            status=RefundStatus.PENDING,
            reason="provider",
            provider_refund_id=item["id"],
            owner_bears=False,
            request_key=(item.get("metadata") or {}).get("request_key") or None,
            created_at=now,
        )
        db.session.add(refund)
        db.session.flush()
        _complete_refund(payment, refund, now)
        imported += 1
    return imported


def refund_unused_time(planet: Planet, now: datetime | None = None) -> int:
    """A dissolved planet refunds each member the unused part of their paid year, pro rata."""
    now = now or utcnow()
    count = 0
    payments = db.session.scalars(
        select(Payment)
        .where(
            Payment.planet_id == planet.id,
            Payment.status.in_([PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED]),
            Payment.period_end > now,
            Payment.duplicate.is_(False),
        )
        .order_by(Payment.id)
    ).all()
    for payment in payments:
        start = max(payment.period_start or now, now)
        length = (payment.period_end - payment.period_start).total_seconds()
        unused = (payment.period_end - start).total_seconds()
        amount = min(payment.refundable_amount, int(payment.amount * unused // length))
        if amount > 0:
            refund_at_provider(payment, amount, reason="dissolved", actor_id=None, now=now)
            count += 1
    members.end_all_memberships(planet.id, MembershipStatus.REFUNDED)
    db.session.flush()
    return count
