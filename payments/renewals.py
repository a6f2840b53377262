"""Off-session renewal charges (auto-renewal), their price, and the dunning schedule and
grace period every renewal path reads. `charge_renewal` is called by the dunning sweep
(`payments.dunning`) with ids only.

`charge_renewal(membership_id)` is idempotent: the attempt is a stored Payment row (one open
auto-renewal payment per membership and period) and the provider call's idempotency key is
derived from its id, so a retried or re-run task never charges twice.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select

from payments import grant, states
from payments.gateway import GatewayError, PaymentDeclined, get_gateway
from payments.models import AutoRenewal, Payment, PaymentKind, PaymentStatus
from payments.pricing import pricing_of
from planet import jobs
from planet.extensions import db
from planet.members.entitlement import Term, classify_purchase
from planet.models import utcnow
from planet.planets.models import (
    DEFAULT_RENEWAL_GRACE_DAYS,
    MIN_RENEWAL_GRACE_DAYS,
    Membership,
    Planet,
    Role,
)

log = logging.getLogger(__name__)


class RenewalOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    """Charged; the membership is extended (now, and again harmlessly by the event)."""
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    """The bank wants the member present (3-D Secure): the member must renew by hand."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Auto-renewal off, no card, owner, free or dissolved planet, or already renewed."""


RENEWAL_DUE_WITHIN = timedelta(days=30)
"""A renewal is charged only when the membership expires within this time (or has expired)."""

RENEWAL_LEAD = timedelta(days=1)
"""The first off-session charge is due this long before expiry."""
RETRY_AFTER = (timedelta(days=1), timedelta(days=3), timedelta(days=7))
"""Retries of a failed charge, counted from the first charge's due date (expiry - RENEWAL_LEAD):
so the last retry is due RETRY_AFTER[-1] - RENEWAL_LEAD after expiry, inside the grace period."""


def renewal_price(planet: Planet, early: bool) -> tuple[int, str]:
    """The renewal price (and currency): the early-renewal price before expiry if set."""
    pricing = pricing_of(planet)
    normal = pricing.renewal_price or planet.price_amount
    if early and pricing.early_renewal_price:
        return pricing.early_renewal_price, planet.currency
    return normal, planet.currency


def grace_period(planet: Planet) -> timedelta:
    """How long a member whose auto-renewal failed keeps access after expiry while the charge
    is retried: the planet's `renewal_grace_days` (validated to cover the last retry). The one
    place the dunning grace is read."""
    days = planet.renewal_grace_days
    if days is None:
        days = DEFAULT_RENEWAL_GRACE_DAYS
    return timedelta(days=max(int(days), MIN_RENEWAL_GRACE_DAYS))


def retry_due_at(period_end: datetime, number: int) -> datetime:
    """When retry `number` (1, 2, 3) of the charge for the period ending `period_end` is due."""
    return period_end - RENEWAL_LEAD + RETRY_AFTER[number - 1]


def _open_attempt(membership: Membership) -> Payment | None:
    """An auto-renewal payment started earlier and not finished (reused: same key)."""
    return db.session.scalar(
        select(Payment)
        .where(
            Payment.membership_id == membership.id,
            Payment.kind == PaymentKind.AUTO_RENEWAL,
            Payment.status.in_([PaymentStatus.CREATED, PaymentStatus.PROCESSING]),
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )


def renewal_key(membership: Membership) -> str:
    """The idempotency key of this period's next renewal charge.

    Derived from stored facts that exist before our Payment row does (the membership, the
    expiry being renewed, the failed attempts so far), so a worker killed after the provider
    charged but before our row committed retries with the same key and is not charged twice.
    """
    failed = db.session.scalar(
        select(func.count(Payment.id)).where(
            Payment.membership_id == membership.id,
            Payment.kind == PaymentKind.AUTO_RENEWAL,
            Payment.status == PaymentStatus.FAILED,
            Payment.created_at >= membership.expires_at - RENEWAL_DUE_WITHIN,
        )
    )
    period = int(membership.expires_at.timestamp())
    return f"planet-renewal-{membership.id}-{period}-{failed + 1}"


def charge_renewal(membership_id: int, now: datetime | None = None) -> RenewalOutcome:
    """Charge the saved card for the next year at the planet's renewal price (a task body)."""
    now = now or utcnow()
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.role is Role.OWNER or membership.expires_at is None:
        return RenewalOutcome.SKIPPED
    planet = db.session.get(Planet, membership.planet_id)
    setting = db.session.scalar(
        select(AutoRenewal).where(AutoRenewal.membership_id == membership.id)
    )
    if (
        setting is None
        or not setting.enabled
        or not setting.payment_method_id
        or planet.is_free
        or planet.is_dissolved
    ):
        return RenewalOutcome.SKIPPED
    purchase = classify_purchase(membership, planet, now, paid_as=PaymentKind.AUTO_RENEWAL)
    if not purchase.is_renewal:
        return RenewalOutcome.SKIPPED  # banned, refunded, left: nothing to renew
    if membership.expires_at - now > RENEWAL_DUE_WITHIN:
        return RenewalOutcome.SKIPPED  # not due (or already renewed)
    payment = _open_attempt(membership)
    if payment is not None and payment.status is PaymentStatus.PROCESSING:
        return RenewalOutcome.PROCESSING
    customer = grant.billing_customer(membership.user_id, lock=True)
    if customer.provider_customer_id is None:
        return RenewalOutcome.SKIPPED
    if payment is None:
        price, _currency = renewal_price(planet, early=purchase.term is Term.EARLY)
        payment = Payment(
            planet_id=planet.id,
            user_id=membership.user_id,
            membership_id=membership.id,
            kind=PaymentKind.AUTO_RENEWAL,
            status=PaymentStatus.CREATED,
            amount=price,
            list_price=price,
            currency=planet.currency,
            auto_renew=True,
            attempts=1,
            refunded_amount=0,
            payment_method_id=setting.payment_method_id,
            created_at=now,
        )
        db.session.add(payment)
        db.session.flush()
    try:
        intent = get_gateway().create_payment(
            amount=payment.amount,
            currency=payment.currency,
            customer_id=customer.provider_customer_id,
            payment_method_id=setting.payment_method_id,
            metadata={"payment_id": payment.id, "planet_id": planet.id, "renewal": "auto"},
            idempotency_key=renewal_key(membership),
            off_session=True,
            transfer_group=f"planet-payment-{payment.id}",
        )
    except PaymentDeclined as error:
        grant.mark_payment_failed(payment, str(error))
        jobs.defer("payments.renewal_failed", membership_id=membership.id)
        return RenewalOutcome.FAILED
    except GatewayError:
        log.exception("renewal of membership %s: provider error", membership.id)
        raise
    payment.provider_intent_id = intent["id"]
    status = intent.get("status")
    if status == "succeeded":
        # A server-to-server answer from the provider is as authoritative as the event.
        grant.apply_payment_success(payment, intent, now)
        return RenewalOutcome.SUCCEEDED
    if status == "processing":
        states.transition(payment, PaymentStatus.PROCESSING)
        return RenewalOutcome.PROCESSING
    if status == "requires_action":
        grant.mark_payment_failed(payment, "authentication required")
        jobs.defer("payments.renewal_failed", membership_id=membership.id)
        return RenewalOutcome.REQUIRES_ACTION
    grant.mark_payment_failed(payment, status or "")
    jobs.defer("payments.renewal_failed", membership_id=membership.id)
    return RenewalOutcome.FAILED
