"""Gifts: a member buys a year of a planet for someone else, who redeems the code once.

    start_gift_checkout(planet, buyer, recipient_email)  # a GIFT payment and its code (unpaid)
    ...the verified payment succeeds (payments/grant.py)...
    gift_paid(payment, now)                               # the code becomes usable, mailed
    redeem_gift(user, code, rules_accepted=...)           # one membership, under the row lock

The code is random (about 80 bits) and shown to the buyer on the payment's page once paid;
the recipient (optionally) gets it by mail. An unknown code answers like a used one, and
attempts are rate-limited like coupons (payments/coupon_audit.py:limited).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from payments import pricing
from payments.grant import billing_customer
from payments.models import GiftCode, Payment, PaymentKind, PaymentStatus
from planet import jobs, policy
from planet.accounts.services import normalize_email
from planet.errors import Conflict, NotAllowed, ServiceError
from planet.extensions import db
from planet.members import services as members
from planet.members.entitlement import YEAR
from planet.models import utcnow
from planet.planets.models import MembershipSource, Planet

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
CODE_GROUPS = 4
CODE_MAX = 32


class GiftRefused(ServiceError):
    status = 400
    field = "code"


def new_code() -> str:
    """GIFT-XXXX-XXXX-XXXX-XXXX: 16 symbols of 32, 80 random bits."""
    groups = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(CODE_GROUPS)]
    return "GIFT-" + "-".join(groups)


def normalise_code(raw) -> str:
    if not isinstance(raw, str):
        return ""
    code = raw.strip().upper().replace(" ", "")
    return code if len(code) <= CODE_MAX else ""


def start_gift_checkout(planet: Planet, buyer, recipient_email: str = "") -> Payment:
    """Store a GIFT payment for a year at the planet's join price, and its code (usable once
    the payment succeeds). The buyer needs an account and may not be banned; the planet must
    be paid and open."""
    policy.require(buyer, policy.Action.GIVE_GIFT, planet)
    if planet.is_free:
        raise Conflict(_l("This planet is free: there is nothing to give."))
    pricing.check_currency(planet.currency)
    recipient = normalize_email(recipient_email) if (recipient_email or "").strip() else ""
    billing_customer(buyer.id)
    now = utcnow()
    payment = Payment(
        planet_id=planet.id,
        user_id=buyer.id,
        kind=PaymentKind.GIFT,
        status=PaymentStatus.CREATED,
        amount=planet.price_amount,
        list_price=planet.price_amount,
        currency=planet.currency,
        attempts=0,
        refunded_amount=0,
        created_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    db.session.add(
        GiftCode(
            planet_id=planet.id,
            payment_id=payment.id,
            buyer_id=buyer.id,
            code=new_code(),
            recipient_email=recipient,
            created_at=now,
        )
    )
    db.session.flush()
    return payment


def gift_of(payment: Payment) -> GiftCode | None:
    return db.session.scalar(select(GiftCode).where(GiftCode.payment_id == payment.id))


def gift_paid(payment: Payment, now: datetime) -> None:
    """The verified payment succeeded: the code works from now on, and the recipient is told."""
    gift = gift_of(payment)
    if gift is None or gift.paid_at is not None:
        return
    gift.paid_at = now
    db.session.flush()
    if gift.recipient_email:
        jobs.defer("payments.gift_mail", gift_id=gift.id)


def redeem_gift(user, raw_code, *, rules_accepted: bool) -> tuple[Planet, object]:
    """Turn a paid, unused code into a year of membership for `user` (extending a current
    one), once: the code's row is locked, so 20 requests at once make one membership."""
    code = normalise_code(raw_code)
    gift = None
    if code:
        gift = db.session.scalar(select(GiftCode).where(GiftCode.code == code).with_for_update())
    if gift is not None:
        db.session.refresh(gift)
    usable = gift is not None and gift.paid_at is not None and gift.redeemed_at is None
    if usable:
        payment = db.session.get(Payment, gift.payment_id)
        usable = payment.status is PaymentStatus.SUCCEEDED
    if not usable:  # unknown, unpaid, refunded or used: one answer, so codes cannot be probed
        raise GiftRefused(_l("This gift code is not valid or has already been used."))
    planet = db.session.get(Planet, gift.planet_id)
    policy.require(user, policy.Action.JOIN_BY_GIFT, planet)
    members.check_rules_accepted(planet, rules_accepted)
    now = utcnow()
    current = members.get_membership(planet.id, user.id)
    if current is not None and current.is_entitled_at(now) and current.expires_at is None:
        raise NotAllowed(_l("Your membership of this planet never expires: keep the gift."))
    start = now  # a current membership is extended from its expiry
    if current is not None and current.is_entitled_at(now) and current.expires_at > now:
        start = current.expires_at
    membership = members.grant_membership(
        planet, user.id, start + YEAR, source=MembershipSource.GIFT
    )
    gift.redeemed_at = now
    gift.redeemed_by_id = user.id
    # The payment now pays for this period: a refund of it takes the period back
    # (payments/refunds.py:take_back_period), as for any paid year.
    payment.membership_id = membership.id
    payment.period_start, payment.period_end = start, membership.expires_at
    db.session.flush()
    return planet, membership


def gifts_bought(user, limit: int = 20) -> list[GiftCode]:
    """The gifts `user` bought, newest first (My memberships)."""
    return db.session.scalars(
        select(GiftCode)
        .where(GiftCode.buyer_id == user.id, GiftCode.paid_at.is_not(None))
        .order_by(GiftCode.id.desc())
        .limit(limit)
    ).all()
