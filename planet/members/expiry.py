"""Membership expiry: the sweep body that records every membership whose access ended (after
any grace period) and tells the member once. A thin periodic task in `workers` calls
`sweep_expiry(now)`.

Due rows are found through the memberships' (status, expires_at) index and claimed in batches
with row locks (FOR UPDATE SKIP LOCKED on PostgreSQL), so several workers and an overlapping
sweep never process the same row twice. Each batch commits, then sends the emails it queued.
The helpers `claim` and `commit_batch` are shared with the money sweeps in `payments`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, or_, select

from planet import jobs
from planet.dbutil import dialect_insert
from planet.extensions import db
from planet.members import services as members
from planet.members.models import ReminderSent
from planet.models import utcnow
from planet.notifications import outbox
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Membership, MembershipStatus, Planet
from planet.web.links import external_url

BATCH = 500

Progress = Callable[[int], None] | None


def claim(statement, *of):
    """Lock the selected rows, skipping those another worker holds (PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True, of=of or None)
    return statement


def commit_batch() -> None:
    jobs.commit()
    outbox.deliver_new()


def date_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def record_many(records: list[tuple[int, str, datetime]]) -> set[int]:
    """Insert (membership, kind, period) records; returns the memberships recorded now (not
    before)."""
    if not records:
        return set()
    now = utcnow()
    return set(
        db.session.scalars(
            dialect_insert(ReminderSent)
            .on_conflict_do_nothing(index_elements=["membership_id", "kind", "period_end"])
            .returning(ReminderSent.membership_id),
            [
                {"membership_id": m, "kind": kind, "period_end": end, "created_at": now}
                for m, kind, end in records
            ],
        )
    )


def planets_by_id(ids: set[int]) -> dict[int, Planet]:
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Planet).where(Planet.id.in_(ids)))}


def expire_due(memberships: list[Membership], now: datetime) -> list[Membership]:
    """Record the expiry of every membership of a batch whose access already ended (an owner
    or a member in grace stays), and tell each member once: a fixed number of statements per
    batch. Returns the memberships ended."""
    ended = [
        m for m in memberships if m.status is MembershipStatus.ACTIVE and not m.is_entitled_at(now)
    ]
    if not ended:
        return []
    period_end = {m.id: m.expires_at for m in ended}
    first_time = record_many([(m.id, "expired", period_end[m.id]) for m in ended])
    told = [m for m in ended if m.id in first_time]
    planets = planets_by_id({m.planet_id for m in told})
    notifications.notify_many(
        Kind.MEMBERSHIP_EXPIRED,
        [
            notifications.Notice(
                m.user_id,
                f"expired:{m.id}:{period_end[m.id].isoformat()}",
                planet=planets[m.planet_id],
                data={"link": external_url("payments.checkout", slug=planets[m.planet_id].slug)},
            )
            for m in told
        ],
    )
    # Last, so the planets' member-count rows stay locked only until the batch commits.
    members.end_memberships(ended, MembershipStatus.EXPIRED)
    return ended


def expiry_due(now: datetime, limit: int | None):
    """Active rows whose paid term and any grace period have ended, in (status, expires_at)
    index order. A cheap pre-filter only: `expire_due` decides with `is_entitled_at` (an
    owner's row, say, is claimed and passed)."""
    statement = (
        select(Membership)
        .where(
            Membership.status == MembershipStatus.ACTIVE,
            Membership.expires_at <= now,
            or_(Membership.grace_until.is_(None), Membership.grace_until <= now),
        )
        .order_by(Membership.expires_at, Membership.id)
    )
    return statement.limit(limit) if limit else statement


def count_expiry_due(now: datetime) -> int:
    due = expiry_due(now, None).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(due))


def sweep_expiry(now: datetime | None = None, batch: int = BATCH, progress: Progress = None):
    """Record every membership whose access ended (after any grace) and tell the member."""
    now = now or utcnow()
    expired = seen = 0
    passed: set[int] = set()
    while True:
        claimed, ended = _expire_batch(now, batch, passed)
        if not claimed:
            break
        commit_batch()
        seen += claimed
        expired += ended
        if progress:
            progress(claimed)
        if not ended and claimed < batch:
            break
    db.session.rollback()
    return {"expired": expired, "seen": seen}


def _expire_batch(now: datetime, batch: int, passed: set[int]) -> tuple[int, int]:
    """Claim a batch of due memberships and expire them (uncommitted): (claimed, ended).

    The batch's rows are referenced only in here, so once the batch commits they drop out of
    the session; kept, every later commit (each inline job's) would expire all of them again.
    """
    statement = expiry_due(now, batch)
    if passed:
        statement = statement.where(Membership.id.not_in(passed))
    rows = list(db.session.scalars(claim(statement, Membership)))
    ended = {m.id for m in expire_due(rows, now)}
    # Still entitled (an owner's row): skip them from now on.
    passed.update(m.id for m in rows if m.id not in ended)
    return len(rows), len(ended)
