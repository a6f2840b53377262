"""Quotes and checkout: what a buyer pays now, storing the payment, and the server-side
confirmation of the card. Nothing here grants access: that comes only from a verified
provider state (payments.grant).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from payments import states
from payments.declines import DECLINE_REASONS, decline_code, failure_text
from payments.gateway import GatewayError, InvalidRequest, PaymentDeclined, get_gateway
from payments.grant import apply_payment_success, billing_customer
from payments.models import (
    Coupon,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from payments.pricing import (
    check_currency,
    check_price,
    discount,
    find_coupon,
    pricing_of,
    redeem_coupon,
    referrer_of,
)
from planet import jobs, policy
from planet.errors import Conflict, NotAllowed, NotFound, ServiceError
from planet.extensions import db
from planet.members import services as members
from planet.members.entitlement import PurchaseKind, Term, classify_purchase
from planet.models import utcnow
from planet.planets.models import Planet

log = logging.getLogger(__name__)

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


def quote(
    planet: Planet,
    user,
    now: datetime | None = None,
    *,
    coupon_code: str | None = None,
    ref: str | None = None,
) -> Quote:
    """What `user` would pay now for a year in `planet` (join or renewal term).

    `ref` is a signed referral code (planet.members.referrals); one that does not check out
    credits nobody. Only a join pays a referral commission."""
    now = now or utcnow()
    check_currency(planet.currency)
    standing = policy.standing_of(user, planet)
    pricing = pricing_of(planet)
    purchase = classify_purchase(
        standing.membership,
        planet,
        now,
        grace_price_window=timedelta(days=pricing.grace_days or 0),
    )
    term = purchase.term
    if purchase.is_renewal:
        policy.require(user, policy.Action.RENEW, planet)
        normal = pricing.renewal_price or planet.price_amount
        price = {
            Term.GRACE: pricing.grace_price or normal,
            Term.EARLY: pricing.early_renewal_price or normal,
        }.get(term, normal)
        kind = PaymentKind.RENEWAL
    else:
        if standing.state is policy.MemberState.ANONYMOUS or not standing.is_trial:
            policy.require(user, policy.Action.JOIN, planet)
        elif planet.is_dissolved:
            raise NotAllowed(_l("This planet has been dissolved and is read-only."))
        if purchase.kind is PurchaseKind.RESTORE:  # left within the paid term: nothing to pay
            raise Conflict(
                _l("Your paid time in this planet has not run out: rejoin it for free instead.")
            )
        price, kind = planet.price_amount, PaymentKind.JOIN
    if planet.is_free:
        raise Conflict(_l("This planet is free: join it without paying."))
    check_price(price)  # a price set before the one limit: refused on the page, not at paying
    coupon = find_coupon(planet, coupon_code, now) if coupon_code else None
    referrer_id = None
    if kind is PaymentKind.JOIN:
        referrer_id = referrer_of(planet, ref, user.id, now)
    return Quote(
        kind=kind,
        term=term,
        list_price=price,
        amount=price - discount(coupon, price),
        currency=planet.currency,
        coupon=coupon,
        referrer_id=referrer_id,
    )


# ---------------------------------------------------------------- checkout


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
    rules_accepted: bool = False,
) -> Payment:
    """Store a payment for the quoted price (nothing is charged yet).

    `expected_amount` is the price the page showed: a different one (a tampered or stale
    form) is refused. `source` is where the buyer came from (the join funnel's source). A
    join needs the planet's rules accepted (`rules_accepted`); a renewal does not.
    """
    now = now or utcnow()
    offer = quote(planet, user, now, coupon_code=coupon_code, ref=ref)
    if offer.kind is PaymentKind.JOIN:
        members.check_rules_accepted(planet, rules_accepted)
    if expected_amount is not None and expected_amount != offer.amount:
        raise Conflict(_l("The price has changed. Please reload the page and check it."))
    check_price(offer.amount, allow_zero=True)
    if offer.coupon is not None:
        redeem_coupon(offer.coupon)
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
    payment = states.lock(payment)
    if payment.status not in (PaymentStatus.CREATED, PaymentStatus.FAILED):
        return _existing_outcome(payment)
    if not token or not isinstance(token, str) or len(token) > 255:
        raise ServiceError(_l("Please enter your card details."))
    gateway = get_gateway()
    try:
        customer_id = _provider_customer(gateway, user)
        payment = states.lock(payment)  # again: a first customer was committed, which unlocked it
        if payment.status not in (PaymentStatus.CREATED, PaymentStatus.FAILED):
            return _existing_outcome(payment)
        charged = _intent_already_charged(gateway, payment, customer_id)
        if charged is not None:
            log.warning("payment %s: adopting %s made by a request that died", payment.id, charged)
            payment.provider_intent_id = charged["id"]
            return _record_intent_state(payment, charged)
        payment.attempts += 1
        key = f"planet-payment-{payment.id}-{payment.attempts}"
        card = _save_card(gateway, customer_id, token, key + "-card")
        payment.payment_method_id = card["id"]
        intent = gateway.create_payment(
            amount=payment.amount,
            currency=payment.currency,
            customer_id=customer_id,
            payment_method_id=card["id"],
            metadata=_intent_metadata(payment),
            idempotency_key=key,
            transfer_group=f"planet-payment-{payment.id}",
        )
    except PaymentDeclined as error:
        issuer = getattr(getattr(error.__cause__, "error", None), "decline_code", None)
        code = decline_code(error.code, issuer)
        log.info("payment %s declined: %s/%s %s", payment.id, error.code, issuer, error)
        states.transition(payment, PaymentStatus.FAILED)
        payment.failure_message = failure_text(code, str(error))
        db.session.flush()
        return Outcome("failed", str(error), reason=DECLINE_REASONS[code])
    except GatewayError as error:
        log.warning("payment %s: provider error %s", payment.id, error)
        raise ServiceError(
            _l("The payment provider could not be reached. Nothing was charged; try again."), 502
        ) from error
    payment.provider_intent_id = intent["id"]
    return _record_intent_state(payment, intent)


def _save_card(gateway, customer_id: str, token: str, key: str) -> dict:
    try:
        return gateway.save_card(customer_id=customer_id, token=token, idempotency_key=key)
    except InvalidRequest as error:  # a token the provider does not know: the form's fault
        log.info("card token refused: %s", error)
        raise ServiceError(_l("We could not read that card. Please enter it again.")) from error


def _provider_customer(gateway, user) -> str:
    """The buyer's customer id at the provider, created (and committed at once) on a first
    payment: a confirm that dies after charging must find that customer again on its retry."""
    customer = billing_customer(user.id, lock=True)
    if customer.provider_customer_id is None:
        created = gateway.create_customer(
            email=user.email,
            metadata={"user_id": str(user.id)},
            idempotency_key=f"planet-customer-{customer.id}",
        )
        customer.provider_customer_id = created["id"]
        db.session.commit()
    return customer.provider_customer_id


def _intent_already_charged(gateway, payment: Payment, customer_id: str) -> dict | None:
    """The PaymentIntent a confirm of this payment already charged, if one did and died
    before our commit. The idempotency key makes the provider answer a retry with that same
    intent; this look-up makes it so even where the provider ignores the key."""
    since = int(payment.created_at.timestamp()) - 1
    for charge in gateway.list_customer_charges(customer_id, since):
        if charge.get("status") != "succeeded" or not charge.get("payment_intent"):
            continue
        intent = gateway.fetch_payment(charge["payment_intent"])
        if str((intent.get("metadata") or {}).get("payment_id")) == str(payment.id):
            return intent
    return None


def resume_payment(payment: Payment) -> Outcome:
    """Where a payment waiting for 3-D Secure stands, with the client secret to finish the
    check in the browser (after the tab that started it was closed)."""
    payment = states.lock(payment)
    if payment.status is PaymentStatus.REQUIRES_ACTION:
        return _existing_outcome(payment)
    return Outcome(str(payment.status))


def _intent_metadata(payment: Payment) -> dict:
    """What the PaymentIntent carries about us: our ids, and the referrer a join credits (for
    the provider's dashboard and support; the split is computed from our payment row)."""
    metadata = {"payment_id": payment.id, "planet_id": payment.planet_id}
    if payment.referrer_id is not None:
        metadata["referrer_id"] = payment.referrer_id
    return metadata


def _existing_outcome(payment: Payment) -> Outcome:
    """A second confirm of a payment already under way (another tab, a double click, a retry):
    the state of the PaymentIntent that exists, never a new one."""
    if payment.status is PaymentStatus.REQUIRES_ACTION and payment.provider_intent_id:
        try:
            intent = get_gateway().fetch_payment(payment.provider_intent_id)
        except GatewayError as error:
            raise ServiceError(
                _l("The payment provider could not be reached. Nothing was charged; try again."),
                502,
            ) from error
        if intent.get("status") == "requires_action":
            return Outcome("requires_action", client_secret=intent.get("client_secret"))
    if payment.status in (PaymentStatus.CREATED, PaymentStatus.FAILED):
        raise Conflict(_l("This payment is already being processed."))
    if payment.status in (PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED):
        raise Conflict(_l("This payment was refunded."))
    return Outcome("succeeded")


def _record_intent_state(payment: Payment, intent: dict) -> Outcome:
    status = intent.get("status")
    if status in ("succeeded", "processing"):
        states.transition(payment, PaymentStatus.PROCESSING)
        outcome = Outcome("succeeded")
    elif status == "requires_action":
        states.transition(payment, PaymentStatus.REQUIRES_ACTION)
        outcome = Outcome("requires_action", client_secret=intent.get("client_secret"))
    else:
        states.transition(payment, PaymentStatus.FAILED)
        error = intent.get("last_payment_error") or {}
        code = decline_code(error.get("code"), error.get("decline_code"))
        log.info("payment %s failed (%s): %s", payment.id, status, error.get("message"))
        payment.failure_message = failure_text(code, error.get("message") or status or "")
        outcome = Outcome("failed", error.get("message") or "", reason=DECLINE_REASONS[code])
    db.session.flush()
    return outcome
