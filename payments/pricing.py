"""A planet's money settings: prices, partners, coupons and referral eligibility.
Services flush, never commit.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from payments.models import (
    Coupon,
    CouponKind,
    Partner,
    PlanetPricing,
)
from planet import policy
from planet.accounts.models import User
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.members import referrals
from planet.members import services as members
from planet.planets.models import Planet
from planet.web.forms import MAX_PRICE, max_price_text

log = logging.getLogger(__name__)
YEAR = members.YEAR


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
        question_deadline_hours=48,
        guest_question_share_bps=7000,
        peek_price=100,
    )


def check_price(value: int | None, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    if value < 0 or (value == 0 and not allow_zero):
        raise ServiceError(_l("A price must be more than zero."))
    if value > MAX_PRICE:  # the one limit, which the owner's forms enforce too
        raise ServiceError(_l("The price cannot exceed %(max)s.", max=max_price_text()))


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


COUPON_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Upper-case letters and digits without the look-alikes 0/O, 1/I/L."""
GENERATED_CODE_LENGTH = 10


def generate_coupon_code(length: int = GENERATED_CODE_LENGTH) -> str:
    """A random code (31^10, about 8 * 10^14): too many to guess under the attempt limit."""
    return "".join(secrets.choice(COUPON_ALPHABET) for _ in range(max(length, 10)))


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
    code = (code or "").strip().upper() or generate_coupon_code()
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


COUPON_REFUSED = _l("This coupon code cannot be used.")
"""The one answer for an unknown, expired or used-up code: checkout is not an oracle."""


def refuse_coupon() -> Conflict:
    return Conflict(COUPON_REFUSED, status=400)


def coupon_outcome(planet: Planet, code: str, now: datetime) -> tuple[Coupon | None, str]:
    """The coupon a code names and what it is: valid, unknown, expired or used_up."""
    code = (code or "").strip().upper()
    coupon = db.session.scalar(
        select(Coupon).where(Coupon.planet_id == planet.id, Coupon.code == code)
    )
    if coupon is None:
        return None, "unknown"
    if coupon.expires_at is not None and coupon.expires_at <= now:
        return coupon, "expired"
    if coupon.max_uses is not None and coupon.used_count >= coupon.max_uses:
        return coupon, "used_up"
    return coupon, "valid"


def find_coupon(planet: Planet, code: str, now: datetime) -> Coupon:
    """The usable coupon, or the same refusal (text and status) whatever is wrong with it."""
    coupon, outcome = coupon_outcome(planet, code, now)
    if outcome != "valid":
        raise refuse_coupon()
    return coupon


def redeem_coupon(coupon: Coupon) -> None:
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
        raise refuse_coupon()


def discount(coupon: Coupon | None, price: int) -> int:
    if coupon is None:
        return 0
    if coupon.kind is CouponKind.PERCENT:
        return price * coupon.value // 100
    return min(price, coupon.value)


# ---------------------------------------------------------------- referrals


def referral_code(planet: Planet, user_id: int) -> str:
    """The signed `?ref=` code of a member's share link (planet.members.referrals)."""
    return referrals.referral_code(planet.id, user_id)


def referrer_of(planet: Planet, code: str | None, buyer_id: int, now: datetime) -> int | None:
    """The member a signed referral code credits for this buyer, or None (a tampered code, a
    self-referral, a referrer who is no longer an active member)."""
    return eligible_referrer(planet, referrals.referrer_in(planet.id, code), buyer_id, now)


def eligible_referrer(
    planet: Planet, referrer_id: int | None, buyer_id: int, now: datetime
) -> int | None:
    """`referrer_id` if it is an active member who is not the buyer, else None."""
    if referrer_id is None or referrer_id == buyer_id:
        return None
    membership = members.get_membership(planet.id, referrer_id)
    if membership is None or not membership.is_entitled_at(now):
        return None
    return referrer_id
