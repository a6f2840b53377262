"""Membership billing steps, one membership at a time (the sweeps claim and batch them).

Expiry, renewal reminders, and auto-renewal with dunning (retries after 1, 3 and 7 days; access
kept through the owner's grace period, default 3 days). Each step records an idempotency key
(ReminderSent, RenewalAttempt, the outbox, notification dedupe keys), so a re-run does nothing.
These functions flush; the sweep commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from planet import policy
from planet.extensions import db
from planet.members import services as members
from planet.models import utcnow
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Membership, MembershipStatus, Planet
from workers.models import ReminderSent, RenewalAttempt

log = logging.getLogger("workers.billing")
RETRY_AFTER = (timedelta(days=1), timedelta(days=3), timedelta(days=7))
DEFAULT_GRACE = timedelta(days=3)
REMINDERS = {"7d": timedelta(days=7), "1d": timedelta(days=1)}


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _date(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def renewal_price(planet: Planet, early: bool) -> tuple[int, str]:
    from payments.services import pricing_of

    pricing = pricing_of(planet)
    normal = pricing.renewal_price or planet.price_amount
    if early and pricing.early_renewal_price:
        return pricing.early_renewal_price, planet.currency
    return normal, planet.currency


def grace_period(planet: Planet) -> timedelta:
    """The owner's grace period for failed auto-renewals (default 3 days)."""
    from payments.services import pricing_of

    days = getattr(pricing_of(planet), "renewal_grace_days", None)
    if days is None:
        days = current_app.config.get("RENEWAL_GRACE_DAYS", DEFAULT_GRACE.days)
    return timedelta(days=int(days))


# ---------------------------------------------------------------- expiry


def expire_due(memberships: list[Membership], now: datetime) -> list[Membership]:
    """Record the expiry of every membership of a batch whose access already ended (the
    policy decides; an owner or a member in grace stays), and tell each member once: a fixed
    number of statements per batch. Returns the memberships ended."""
    ended = [m for m in memberships if _access_ended(m, now)]
    if not ended:
        return []
    period_end = {m.id: m.expires_at for m in ended}
    first_time = _record_many([(m.id, "expired", period_end[m.id]) for m in ended])
    told = [m for m in ended if m.id in first_time]
    planets = _planets_by_id({m.planet_id for m in told})
    notifications.notify_many(
        Kind.MEMBERSHIP_EXPIRED,
        [
            notifications.Notice(
                m.user_id,
                f"expired:{m.id}:{period_end[m.id].isoformat()}",
                planet=planets[m.planet_id],
                data={"link": f"/p/{planets[m.planet_id].slug}/checkout"},
            )
            for m in told
        ],
    )
    # Last, so the planets' member-count rows stay locked only until the batch commits.
    members.end_memberships(ended, MembershipStatus.EXPIRED)
    return ended


def _access_ended(membership: Membership, now: datetime) -> bool:
    state, _ = policy.membership_state(membership, now)
    return membership.status is MembershipStatus.ACTIVE and state is policy.MemberState.EXPIRED


def _record_many(records: list[tuple[int, str, datetime]]) -> set[int]:
    """Insert (membership, kind, period) records; returns the memberships recorded now (not
    before)."""
    if not records:
        return set()
    now = utcnow()
    return set(
        db.session.scalars(
            _insert()(ReminderSent)
            .on_conflict_do_nothing(index_elements=["membership_id", "kind", "period_end"])
            .returning(ReminderSent.membership_id),
            [
                {"membership_id": m, "kind": kind, "period_end": end, "created_at": now}
                for m, kind, end in records
            ],
        )
    )


def _planets_by_id(ids: set[int]) -> dict[int, Planet]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Planet).where(Planet.id.in_(ids)))}


# ---------------------------------------------------------------- reminders


def remind_due(memberships: list[Membership], kind: str, now: datetime) -> int:
    """The `kind` reminder for every membership of a batch it is due for, at most once per
    membership period (free and dissolved planets record it but send nothing): a fixed number
    of statements per batch, plus one price lookup per planet. Returns how many were told."""
    due = [m for m in memberships if _reminder_due(m, kind, now)]
    first_time = _record_many([(m.id, kind, m.expires_at) for m in due])
    planets = _planets_by_id({m.planet_id for m in due if m.id in first_time})
    told = [
        m
        for m in due
        if m.id in first_time
        and not (planets[m.planet_id].is_free or planets[m.planet_id].is_dissolved)
    ]
    prices = {p: renewal_price(planets[p], early=True) for p in {m.planet_id for m in told}}
    notifications.notify_many(
        Kind.RENEWAL_REMINDER,
        [_reminder_notice(m, kind, planets[m.planet_id], prices[m.planet_id]) for m in told],
    )
    return len(told)


def _reminder_due(membership: Membership, kind: str, now: datetime) -> bool:
    state, _ = policy.membership_state(membership, now)
    if state is not policy.MemberState.ACTIVE or membership.expires_at is None:
        return False
    return membership.expires_at - now <= REMINDERS[kind]


def _reminder_notice(
    membership: Membership, kind: str, planet: Planet, price
) -> notifications.Notice:
    amount, currency = price
    return notifications.Notice(
        membership.user_id,
        f"remind:{membership.id}:{kind}:{membership.expires_at.isoformat()}",
        planet=planet,
        data={
            "date": _date(membership.expires_at),
            "amount": notifications.format_amount(amount, currency),
            "link": f"/p/{planet.slug}/checkout?renew=1",
        },
    )


# ---------------------------------------------------------------- auto-renewal


def schedule_first_attempt(membership_id: int, period_end: datetime, due_at: datetime) -> bool:
    return (
        db.session.execute(
            _insert()(RenewalAttempt)
            .values(
                membership_id=membership_id,
                period_end=period_end,
                attempt=0,
                due_at=due_at,
                status="due",
                outcome="",
                created_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["membership_id", "period_end", "attempt"])
            .returning(RenewalAttempt.id)
        ).scalar()
        is not None
    )


class ProviderUnavailable(Exception):
    """The provider timed out or answered 5xx: the attempt is retried with the same key."""


def run_attempt(attempt: RenewalAttempt, now: datetime) -> str:
    """Charge one due attempt. Returns the outcome recorded on the attempt."""
    from payments.billing import RenewalOutcome, charge_renewal
    from payments.gateway import GatewayError

    membership = db.session.get(Membership, attempt.membership_id, with_for_update=True)
    if membership is None:
        attempt.status, attempt.outcome = "cancelled", "membership gone"
        return attempt.status
    if membership.expires_at is not None and membership.expires_at > attempt.period_end:
        attempt.status, attempt.outcome = "cancelled", "already renewed"
        return attempt.status
    try:
        outcome = charge_renewal(membership.id, now)
    except GatewayError as error:
        # Keep the stored payment (its id is the idempotency key) and retry with backoff.
        tries = attempt.outcome.count("provider error") + 1
        attempt.outcome = (attempt.outcome + " provider error;")[-255:]
        attempt.due_at = now + timedelta(minutes=5 * 2 ** min(tries, 8))
        log.warning(
            "renewal attempt %s: provider error %s; retry at %s", attempt.id, error, attempt.due_at
        )
        raise ProviderUnavailable(str(error)) from error
    planet = db.session.get(Planet, membership.planet_id)
    if outcome is RenewalOutcome.SUCCEEDED:
        attempt.status, attempt.outcome = "succeeded", str(outcome)
        db.session.refresh(membership)
        notifications.notify(
            membership.user_id,
            Kind.MEMBERSHIP_RENEWED,
            f"renewed:{membership.id}:{attempt.period_end.isoformat()}",
            planet=planet,
            data={"date": _date(membership.expires_at), "link": f"/p/{planet.slug}"},
        )
        return attempt.status
    if outcome is RenewalOutcome.PROCESSING:
        attempt.due_at = now + timedelta(hours=1)  # check again; the event usually comes first
        attempt.outcome = str(outcome)
        return "processing"
    if outcome is RenewalOutcome.SKIPPED:
        attempt.status, attempt.outcome = "cancelled", str(outcome)
        return attempt.status
    # Failed or needs the member: tell them, keep access through the grace period, retry.
    attempt.status, attempt.outcome = "failed", str(outcome)
    if membership.status is MembershipStatus.ACTIVE and membership.grace_until is None:
        members.start_grace(membership, attempt.period_end + grace_period(planet))
    if attempt.attempt < len(RETRY_AFTER):
        db.session.execute(
            _insert()(RenewalAttempt)
            .values(
                membership_id=membership.id,
                period_end=attempt.period_end,
                attempt=attempt.attempt + 1,
                due_at=now + RETRY_AFTER[attempt.attempt],
                status="due",
                outcome="",
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["membership_id", "period_end", "attempt"])
        )
    notifications.notify(
        membership.user_id,
        Kind.RENEWAL_FAILED,
        f"renewal_failed:{membership.id}:{attempt.period_end.isoformat()}:{attempt.attempt}",
        planet=planet,
        data={"link": f"/p/{planet.slug}/checkout?renew=1"},
    )
    return attempt.status


def latest_attempt_number(membership_id: int) -> int | None:
    return db.session.scalar(
        select(RenewalAttempt.attempt)
        .where(RenewalAttempt.membership_id == membership_id, RenewalAttempt.status == "failed")
        .order_by(RenewalAttempt.id.desc())
        .limit(1)
    )
