"""Coupon code attempts: rate-limited per user and per client address, and every attempt
(valid or not) recorded for the planet's owner, with the code masked and hashed.

Each attempt is written on a connection of its own (`record`), so a refused checkout leaves
the audit row and nothing else, and the request's own transaction is never committed here.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from payments import pricing
from planet.errors import ServiceError
from planet.extensions import db, limiter
from planet.models import UTCDateTime, model_repr, utcnow
from planet.planets.models import Planet

OUTCOMES = ("accepted", "valid", "unknown", "expired", "used_up")
"""valid: the code was usable but the checkout was refused for another reason."""


class CouponAttempt(db.Model):
    """One coupon code tried at checkout or on the price preview."""

    __tablename__ = "payment_coupon_attempts"
    __table_args__ = (Index("ix_payment_coupon_attempts_planet_at", "planet_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    """sha256 of the planet id and the normalised code: the same code gives the same hash."""
    code_masked: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "outcome")


def normalise(code: str) -> str:
    return (code or "").strip().upper()[:32]


def mask(code: str) -> str:
    """The first two characters, then stars: enough to recognise, not enough to use."""
    code = normalise(code)
    return code[:2] + "*" * max(len(code) - 2, 0)


def code_hash(planet_id: int, code: str) -> str:
    return hashlib.sha256(f"{planet_id}:{normalise(code)}".encode()).hexdigest()


def _row(planet: Planet, user, code: str, outcome: str) -> dict:
    return {
        "planet_id": planet.id,
        "user_id": getattr(user, "id", None),
        "address": (request.remote_addr or "")[:64] or None,
        "code_hash": code_hash(planet.id, code),
        "code_masked": mask(code),
        "outcome": outcome,
        "created_at": utcnow(),
    }


def _record_apart(row: dict) -> None:
    """Write one attempt on a connection of its own, committed at once. The request's session
    is rolled back first: its work is refused (or it is a GET, which writes nothing), and on
    SQLite its open write would otherwise hold the lock this insert needs."""
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(CouponAttempt.__table__.insert().values(**row))


def attempt(planet: Planet, user, code: str | None, work):
    """Run `work` (which looks `code` up) and record the attempt. A refusal is recorded apart
    and raised again; an accepted code is recorded with the request's own work (a POST), or
    apart on a GET, whose transaction never writes."""
    if not code:
        return work()
    try:
        result = work()
    except ServiceError:
        _, outcome = pricing.coupon_outcome(planet, code, utcnow())
        _record_apart(_row(planet, user, code, outcome))
        raise
    row = _row(planet, user, code, "accepted")
    if request.method in ("GET", "HEAD"):
        _record_apart(row)
    else:
        db.session.add(CouponAttempt(**row))
    return result


def attempts_of(planet: Planet, limit: int = 100) -> list:
    """The latest attempts with who made them: rows of (attempt, display name or None)."""
    from planet.accounts.models import User

    return db.session.execute(
        select(CouponAttempt, User.display_name)
        .outerjoin(User, User.id == CouponAttempt.user_id)
        .where(CouponAttempt.planet_id == planet.id)
        .order_by(CouponAttempt.id.desc())
        .limit(limit)
    ).all()


# ---------------------------------------------------------------- the rate limit


def _submitted_code() -> str:
    return (
        request.values.get("coupon", "")
        if request.method == "GET"
        else request.form.get("coupon", "")
    )


def _no_code() -> bool:
    return not current_user.is_authenticated or not _submitted_code().strip()


def _per_user() -> str:
    return f"coupon-user:{current_user.get_id()}"


def _per_address() -> str:
    return f"coupon-address:{request.remote_addr or ''}"


def _rate() -> str:
    return current_app.config["COUPON_ATTEMPT_RATE_LIMIT"]


def _too_many() -> str:
    from flask_babel import gettext as _

    return _("Too many coupon attempts. Please wait a while and try again.")


def limited(view):
    """Limit a view's coupon attempts per user and per client address (shared by the checkout
    page's price preview and the checkout itself); requests without a code are not counted."""
    for key_func, scope in ((_per_user, "coupon-user"), (_per_address, "coupon-address")):
        view = limiter.shared_limit(
            _rate,
            scope=scope,
            key_func=key_func,
            exempt_when=_no_code,
            error_message=_too_many,
        )(view)
    return view
