"""Money write operations: pricing, coupons, partners, quotes, checkout, payment success,
refunds, trials and auto-renewal. Services flush, never commit.

Access comes only from a verified provider state (the webhook or a server-side fetch of the
PaymentIntent), never from the browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from payments import ledger
from payments.gateway import GatewayError, PaymentDeclined, get_gateway
from payments.models import (
    PAID_STATUSES,
    AutoRenewal,
    BillingCustomer,
    Coupon,
    CouponKind,
    Partner,
    Payment,
    PaymentKind,
    PaymentStatus,
    PlanetPricing,
    Refund,
    RefundStatus,
)
from planet import jobs, policy
from planet.accounts.models import User
from planet.errors import Conflict, NotAllowed, NotFound, ServiceError
from planet.extensions import db
from planet.members import services as members
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role

log = logging.getLogger(__name__)
YEAR = members.YEAR
MAX_PRICE = 10_000_000
"""The largest price accepted, in minor units (100,000.00)."""


# ---------------------------------------------------------------- settings


def pricing_of(planet: Planet) -> PlanetPricing:
    """The planet's money settings (a transient default row when none is stored)."""
    pricing = db.session.scalar(select(PlanetPricing).where(PlanetPricing.planet_id == planet.id))
    return pricing or PlanetPricing(
        planet_id=planet.id,
        grace_days=7,
        trial_days=0,
        trial_requires_card=False,
        referral_rate_bps=0,
    )


def check_price(value: int | None, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    if value < 0 or (value == 0 and not allow_zero):
        raise ServiceError(_l("A price must be more than zero."))
    if value > MAX_PRICE:
        raise ServiceError(_l("That price is too large."))


def check_currency(currency: str) -> None:
    if currency not in current_app.config.get("SUPPORTED_CURRENCIES", []):
        raise ServiceError(_l("This currency is not supported."))


def update_pricing(planet: Planet, actor, **values) -> PlanetPricing:
    """Set renewal prices, grace period, trial and referral rate (owner only)."""
    policy.require(actor, policy.Action.MANAGE_MONEY, planet)
    for name in ("renewal_price", "early_renewal_price", "grace_price"):
        check_price(values.get(name))
    if not 0 <= values.get("referral_rate_bps", 0) <= 5000:
        raise ServiceError(_l("The referral commission must be between 0% and 50%."))
    if not 0 <= values.get("trial_days", 0) <= 60:
        raise ServiceError(_l("A trial lasts 0 to 60 days."))
    if not 0 <= values.get("grace_days", 0) <= 90:
        raise ServiceError(_l("The grace period lasts 0 to 90 days."))
    pricing = db.session.scalar(select(PlanetPricing).where(PlanetPricing.planet_id == planet.id))
    if pricing is None:
        pricing = PlanetPricing(planet_id=planet.id)
        db.session.add(pricing)
    for name, value in values.items():
        setattr(pricing, name, value)
    db.session.flush()
    return pricing


def set_partner(planet: Planet, actor, user_id: int, share_bps: int) -> Partner | None:
    """Name a partner with a share of the creator's part (0 removes them)."""
    policy.require(actor, policy.Action.MANAGE_MONEY, planet)
    if user_id == planet.owner_id:
        raise ServiceError(_l("The owner already receives the rest of the income."))
    if db.session.get(User, user_id) is None:
        raise NotFound(_l("No such user."))
    if not 0 <= share_bps <= 10000:
        raise ServiceError(_l("A partner's share is between 0% and 100%."))
    partner = db.session.scalar(
        select(Partner).where(Partner.planet_id == planet.id, Partner.user_id == user_id)
    )
    others = sum(p.share_bps for p in partners_of(planet) if p.user_id != user_id)
    if others + share_bps > 10000:
        raise ServiceError(_l("Partners' shares cannot add up to more than 100%."))
    if share_bps == 0:
        if partner is not None:
            db.session.delete(partner)
            db.session.flush()
        return None
    if partner is None:
        partner = Partner(planet_id=planet.id, user_id=user_id, share_bps=share_bps)
        db.session.add(partner)
    partner.share_bps = share_bps
    db.session.flush()
    return partner


def partners_of(planet: Planet) -> list[Partner]:
    return list(
        db.session.scalars(
            select(Partner).where(Partner.planet_id == planet.id).order_by(Partner.id)
        )
    )


def create_coupon(
    planet: Planet,
    actor,
    *,
    code: str,
    kind: CouponKind,
    value: int,
    max_uses: int | None,
    expires_at: datetime | None,
) -> Coupon:
    policy.require(actor, policy.Action.MANAGE_MONEY, planet)
    code = (code or "").strip().upper()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise ServiceError(_l("A coupon code is 1 to 32 letters, digits, - or _."))
    if kind is CouponKind.PERCENT and not 1 <= value <= 100:
        raise ServiceError(_l("A percentage is between 1 and 100."))
    if kind is CouponKind.FIXED:
        check_price(value)
    if max_uses is not None and max_uses < 1:
        raise ServiceError(_l("The use limit must be at least 1."))
    if db.session.scalar(
        select(Coupon.id).where(Coupon.planet_id == planet.id, Coupon.code == code)
    ):
        raise Conflict(_l("A coupon with this code already exists."))
    coupon = Coupon(
        planet_id=planet.id,
        code=code,
        kind=kind,
        value=value,
        max_uses=max_uses,
        used_count=0,
        expires_at=expires_at,
    )
    db.session.add(coupon)
    db.session.flush()
    return coupon


def find_coupon(planet: Planet, code: str, now: datetime) -> Coupon:
    code = (code or "").strip().upper()
    coupon = db.session.scalar(
        select(Coupon).where(Coupon.planet_id == planet.id, Coupon.code == code)
    )
    if coupon is None:
        raise ServiceError(_l("This coupon code is not valid for this planet."))
    if coupon.expires_at is not None and coupon.expires_at <= now:
        raise ServiceError(_l("This coupon has expired."))
    if coupon.max_uses is not None and coupon.used_count >= coupon.max_uses:
        raise Conflict(_l("This coupon has been used up."))
    return coupon


def _redeem_coupon(coupon: Coupon) -> None:
    """Take one use atomically: a single-use coupon redeemed at once succeeds once."""
    result = db.session.execute(
        update(Coupon)
        .where(
            Coupon.id == coupon.id,
            (Coupon.max_uses.is_(None)) | (Coupon.used_count < Coupon.max_uses),
        )
        .values(used_count=Coupon.used_count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(_l("This coupon has been used up."))


def _discount(coupon: Coupon | None, price: int) -> int:
    if coupon is None:
        return 0
    if coupon.kind is CouponKind.PERCENT:
        return price * coupon.value // 100
    return min(price, coupon.value)


# ---------------------------------------------------------------- quotes


@dataclass(frozen=True)
class Quote:
    kind: PaymentKind
    term: str
    """join, early (before expiry), grace (just after expiry), renewal."""
    list_price: int
    amount: int
    currency: str
    coupon: Coupon | None = None
    referrer_id: int | None = None


def referral_code(user_id: int) -> str:
    return str(user_id)


def eligible_referrer(planet: Planet, ref: str | None, buyer_id: int, now: datetime) -> int | None:
    """The referring member, if the code names an active member who is not the buyer."""
    if not ref or not str(ref).isdigit():
        return None
    referrer_id = int(ref)
    if referrer_id == buyer_id:
        return None
    membership = members.get_membership(planet.id, referrer_id)
    if policy.membership_state(membership, now)[0] is not policy.MemberState.ACTIVE:
        return None
    return referrer_id


def quote(
    planet: Planet,
    user,
    now: datetime | None = None,
    *,
    coupon_code: str | None = None,
    ref: str | None = None,
) -> Quote:
    """What `user` would pay now for a year in `planet` (join or renewal term)."""
    now = now or utcnow()
    check_currency(planet.currency)
    standing = policy.standing_of(user, planet)
    pricing = pricing_of(planet)
    membership = standing.membership
    renewing = standing.state in (policy.MemberState.ACTIVE, policy.MemberState.EXPIRED) and not (
        standing.is_trial
    )
    if renewing:
        policy.require(user, policy.Action.RENEW, planet)
        normal = pricing.renewal_price or planet.price_amount
        expires_at = membership.expires_at if membership else None
        if standing.in_grace or (
            expires_at is not None
            and expires_at <= now < expires_at + timedelta(days=pricing.grace_days)
        ):
            term, price = "grace", pricing.grace_price or normal
        elif standing.active and expires_at is not None and now < expires_at:
            term, price = "early", pricing.early_renewal_price or normal
        else:
            term, price = "renewal", normal
        kind = PaymentKind.RENEWAL
    else:
        if standing.state is policy.MemberState.ANONYMOUS or not standing.is_trial:
            policy.require(user, policy.Action.JOIN, planet)
        elif planet.is_dissolved:
            raise NotAllowed(_l("This planet has been dissolved and is read-only."))
        term, price, kind = "join", planet.price_amount, PaymentKind.JOIN
    if planet.is_free:
        raise Conflict(_l("This planet is free: join it without paying."))
    coupon = find_coupon(planet, coupon_code, now) if coupon_code else None
    referrer_id = None
    if kind is PaymentKind.JOIN:
        referrer_id = eligible_referrer(planet, ref, user.id, now)
    return Quote(
        kind=kind,
        term=term,
        list_price=price,
        amount=price - _discount(coupon, price),
        currency=planet.currency,
        coupon=coupon,
        referrer_id=referrer_id,
    )


# ---------------------------------------------------------------- checkout


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


def start_checkout(
    planet: Planet,
    user,
    *,
    coupon_code: str | None = None,
    ref: str | None = None,
    auto_renew: bool = False,
    expected_amount: int | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> Payment:
    """Store a payment for the quoted price (nothing is charged yet).

    `expected_amount` is the price the page showed: a different one (a tampered or stale
    form) is refused. `source` is where the buyer came from (the join funnel's source).
    """
    now = now or utcnow()
    offer = quote(planet, user, now, coupon_code=coupon_code, ref=ref)
    if expected_amount is not None and expected_amount != offer.amount:
        raise Conflict(_l("The price has changed. Please reload the page and check it."))
    check_price(offer.amount, allow_zero=True)
    if offer.coupon is not None:
        _redeem_coupon(offer.coupon)
    billing_customer(user.id)
    payment = Payment(
        planet_id=planet.id,
        user_id=user.id,
        kind=offer.kind,
        status=PaymentStatus.CREATED,
        amount=offer.amount,
        list_price=offer.list_price,
        currency=offer.currency,
        coupon_id=offer.coupon.id if offer.coupon else None,
        referrer_id=offer.referrer_id,
        auto_renew=auto_renew,
        attempts=0,
        refunded_amount=0,
        created_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    jobs.defer(
        "payments.checkout_started",
        planet_id=planet.id,
        user_id=user.id,
        referred=offer.referrer_id is not None,
        source=source,
    )
    if payment.amount == 0:  # a 100% coupon: nothing to charge
        apply_payment_success(payment, None, now)
    return payment


# ---------------------------------------------------------------- declines

DECLINE_REASONS = {
    "card_declined": _l("Your card was declined. Try another card or ask your bank."),
    "insufficient_funds": _l("Your card has insufficient funds."),
    "expired_card": _l("Your card has expired. Try another card."),
    "incorrect_cvc": _l("The card's security code (CVC) is incorrect."),
    "processing_error": _l(
        "The payment provider could not process your card. Nothing was charged; try again."
    ),
    "authentication_required": _l(
        "Your bank asked to verify this payment. Try again and complete the verification."
    ),
    "generic": _l("The payment did not go through. Nothing was charged; try another card."),
}
"""What the payer is told, by provider code. The provider's own text is English; it is kept
only in the logs and in `Payment.failure_message` (as "code: text")."""

DECLINE_ALIASES = {
    "generic_decline": "card_declined",
    "do_not_honor": "card_declined",
    "lost_card": "card_declined",  # like Stripe advises: never tell a fraud suspect why
    "stolen_card": "card_declined",
    "fraudulent": "card_declined",
    "pickup_card": "card_declined",
    "invalid_cvc": "incorrect_cvc",
    "authentication_not_handled": "authentication_required",
    "payment_intent_authentication_failure": "authentication_required",
    "authentication required": "authentication_required",
}


def decline_code(code: str | None, decline: str | None = None) -> str:
    """The DECLINE_REASONS key for a provider error code (and the issuer's decline code)."""
    for candidate in (decline, code):
        candidate = DECLINE_ALIASES.get(candidate or "", candidate or "")
        if candidate in DECLINE_REASONS and candidate != "card_declined":
            return candidate
    if decline or code == "card_declined":  # an issuer decline with no reason of its own
        return "card_declined"
    return "generic"


def decline_reason(failure_message: str | None):
    """The translated reason for a stored failure ("code: provider text", or older free text)."""
    head = (failure_message or "").split(":", 1)[0].strip()
    return DECLINE_REASONS[decline_code(head) if head else "generic"]


def _failure_text(code: str, provider_message: str) -> str:
    return f"{code}: {provider_message}"[:255]


@dataclass(frozen=True)
class Outcome:
    status: str
    """succeeded (waiting for the event), requires_action, failed."""
    message: str = ""
    """For a failure: the provider's own (English) text, for logs and support only."""
    client_secret: str | None = None
    reason: str = ""
    """For a failure: what the payer is told, translated (a lazy string from DECLINE_REASONS)."""


def own_payment_or_404(payment_id: int, user) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.user_id != getattr(user, "id", None):
        raise NotFound(_l("We could not find that payment."))
    return payment


def confirm_payment(payment: Payment, user, token: str) -> Outcome:
    """Charge the tokenized card for a stored payment (server-side confirmation).

    A `requires_action` answer hands the client secret to the browser for 3-D Secure; access
    is granted later, by the verified `payment_intent.succeeded` event.
    """
    if payment.user_id != user.id:
        raise NotFound(_l("We could not find that payment."))
    if payment.status not in (PaymentStatus.CREATED, PaymentStatus.FAILED):
        raise Conflict(_l("This payment is already being processed."))
    if not token or not isinstance(token, str) or len(token) > 255:
        raise ServiceError(_l("Please enter your card details."))
    gateway = get_gateway()
    payment.attempts += 1
    key = f"planet-payment-{payment.id}-{payment.attempts}"
    customer = billing_customer(user.id, lock=True)
    try:
        if customer.provider_customer_id is None:
            created = gateway.create_customer(
                email=user.email,
                metadata={"user_id": str(user.id)},
                idempotency_key=f"planet-customer-{customer.id}",
            )
            customer.provider_customer_id = created["id"]
        card = gateway.save_card(
            customer_id=customer.provider_customer_id, token=token, idempotency_key=key + "-card"
        )
        payment.payment_method_id = card["id"]
        intent = gateway.create_payment(
            amount=payment.amount,
            currency=payment.currency,
            customer_id=customer.provider_customer_id,
            payment_method_id=card["id"],
            metadata={"payment_id": payment.id, "planet_id": payment.planet_id},
            idempotency_key=key,
            transfer_group=f"planet-payment-{payment.id}",
        )
    except PaymentDeclined as error:
        issuer = getattr(getattr(error.__cause__, "error", None), "decline_code", None)
        code = decline_code(error.code, issuer)
        log.info("payment %s declined: %s/%s %s", payment.id, error.code, issuer, error)
        payment.status = PaymentStatus.FAILED
        payment.failure_message = _failure_text(code, str(error))
        db.session.flush()
        return Outcome("failed", str(error), reason=DECLINE_REASONS[code])
    except GatewayError as error:
        log.warning("payment %s: provider error %s", payment.id, error)
        raise ServiceError(
            _l("The payment provider could not be reached. Nothing was charged; try again."), 502
        ) from error
    payment.provider_intent_id = intent["id"]
    return _record_intent_state(payment, intent)


def _record_intent_state(payment: Payment, intent: dict) -> Outcome:
    status = intent.get("status")
    if status in ("succeeded", "processing"):
        payment.status = PaymentStatus.PROCESSING
        outcome = Outcome("succeeded")
    elif status == "requires_action":
        payment.status = PaymentStatus.REQUIRES_ACTION
        outcome = Outcome("requires_action", client_secret=intent.get("client_secret"))
    else:
        payment.status = PaymentStatus.FAILED
        error = intent.get("last_payment_error") or {}
        code = decline_code(error.get("code"), error.get("decline_code"))
        log.info("payment %s failed (%s): %s", payment.id, status, error.get("message"))
        payment.failure_message = _failure_text(code, error.get("message") or status or "")
        outcome = Outcome("failed", error.get("message") or "", reason=DECLINE_REASONS[code])
    db.session.flush()
    return outcome


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
    if payment.status in PAID_STATUSES:
        return "already applied"
    if not _intent_matches(payment, intent):
        log.warning("payment %s does not match the provider's intent; ignored", payment.id)
        return "mismatch"
    planet = db.session.get(Planet, payment.planet_id)
    membership = members.get_membership(planet.id, payment.user_id, lock=True)
    if membership is not None:
        db.session.refresh(membership)
    state, in_grace = policy.membership_state(membership, now)
    payment.status = PaymentStatus.SUCCEEDED
    payment.paid_at = now
    if intent is not None:
        payment.payment_method_id = intent.get("payment_method") or payment.payment_method_id
    referrer_id = payment.referrer_id
    if (
        referrer_id is not None
        and eligible_referrer(planet, str(referrer_id), payment.user_id, now) is None
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
    already_member = (
        state is policy.MemberState.ACTIVE
        and membership is not None
        and (membership.role is Role.OWNER or (not membership.is_trial and not in_grace))
    )
    banned = membership is not None and membership.status is MembershipStatus.BANNED
    if (payment.kind is PaymentKind.JOIN and already_member) or banned or planet.is_dissolved:
        payment.duplicate = True
        db.session.flush()
        if payment.amount > 0:
            _refund(payment, payment.amount, reason="duplicate", actor_id=None, now=now)
        return "duplicate refunded"
    if (
        payment.kind is not PaymentKind.JOIN
        and membership is not None
        and state
        in (
            policy.MemberState.ACTIVE,
            policy.MemberState.EXPIRED,
        )
    ):
        start = (
            membership.expires_at if membership.expires_at and membership.expires_at > now else now
        )
        membership = members.extend_membership(membership, YEAR)
    else:
        start = now
        membership = members.grant_membership(planet, payment.user_id, now + YEAR)
    payment.membership_id = membership.id
    payment.period_start = start
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


def mark_payment_failed(payment: Payment, message: str) -> None:
    if payment.status in PAID_STATUSES:
        return  # a stale failure after success changes nothing
    payment.status = PaymentStatus.FAILED
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
        mark_payment_failed(payment, _failure_text(code, error.get("message") or status))
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


def start_trial(planet: Planet, user, now: datetime | None = None) -> Membership:
    """A free trial of the planet's trial length, once per person and planet."""
    now = now or utcnow()
    policy.require(user, policy.Action.JOIN, planet)
    pricing = pricing_of(planet)
    if not pricing.trial_days or planet.is_free:
        raise ServiceError(_l("This planet offers no free trial."))
    if pricing.trial_requires_card and not _has_saved_card(user.id):
        raise ServiceError(_l("This trial needs a card on file: pay once or add a card first."))
    if members.get_membership(planet.id, user.id) is not None:
        raise Conflict(_l("The free trial is only for people who have never joined."))
    return members.grant_membership(
        planet, user.id, now + timedelta(days=pricing.trial_days), is_trial=True
    )


def _has_saved_card(user_id: int) -> bool:
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user_id))
    return bool(customer and customer.provider_customer_id)


# ---------------------------------------------------------------- refunds


def refund_deadline(payment: Payment) -> datetime | None:
    return payment.paid_at + ledger.refund_window() if payment.paid_at else None


def member_may_refund(payment: Payment, now: datetime) -> bool:
    return (
        payment.status is PaymentStatus.SUCCEEDED
        and payment.refunded_amount == 0
        and payment.amount > 0
        and now < refund_deadline(payment)
    )


def refund_payment(
    payment: Payment, actor, amount: int | None = None, now: datetime | None = None
) -> Refund:
    """Refund a payment: the member in full within the window, or the owner any time.

    After the window the owner refunds from their own balance (the split is not reversed).
    """
    now = now or utcnow()
    planet = db.session.get(Planet, payment.planet_id)
    is_owner = policy.may(actor, policy.Action.MANAGE_MONEY, planet)
    if payment.user_id != actor.id and not is_owner:
        raise NotFound(_l("We could not find that payment."))
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
    return _refund(
        payment, amount, reason=reason, actor_id=actor.id, now=now, owner_bears=not in_window
    )


def _refund(
    payment: Payment,
    amount: int,
    *,
    reason: str,
    actor_id: int | None,
    now: datetime,
    owner_bears: bool = False,
) -> Refund:
    refund = Refund(
        payment_id=payment.id,
        amount=amount,
        status=RefundStatus.PENDING,
        reason=reason,
        initiated_by=actor_id,
        owner_bears=owner_bears,
        created_at=now,
    )
    db.session.add(refund)
    db.session.flush()
    try:
        result = get_gateway().refund(
            intent_id=payment.provider_intent_id,
            amount=amount,
            metadata={"refund_id": refund.id, "payment_id": payment.id},
            idempotency_key=f"planet-refund-{refund.id}",
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
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.refunded_amount >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    ledger.write_refund_reversal(payment, refund, now, owner_bears=refund.owner_bears)
    if payment.status is PaymentStatus.REFUNDED and not payment.duplicate:
        _take_back_period(payment, now)
    db.session.flush()
    jobs.defer("payments.refund_completed", refund_id=refund.id)


def _take_back_period(payment: Payment, now: datetime) -> None:
    """A fully refunded payment no longer pays for its period."""
    if payment.membership_id is None:
        return
    membership = db.session.get(Membership, payment.membership_id)
    if membership is None or membership.role is Role.OWNER:
        return
    if membership.status is not MembershipStatus.ACTIVE:
        return
    remaining_end = None
    if payment.kind is not PaymentKind.JOIN and membership.expires_at and payment.period_end:
        remaining_end = membership.expires_at - (payment.period_end - payment.period_start)
    if remaining_end is not None and remaining_end > now:
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
            _refund(payment, amount, reason="dissolved", actor_id=None, now=now)
            count += 1
    members.end_all_memberships(planet.id, MembershipStatus.REFUNDED)
    db.session.flush()
    return count
