"""Community-health snapshots: the activity-based half of the health page, computed ahead.

Weekly active members, activity by member, the top decile's share and the evaporative-cooling
check aggregate months of per-member weekly activity: about a second at 100,000 members. They
are kept per planet in one `HealthSnapshot` row, and the page reads that row. The rest of the
page (unanswered questions, renewals and churn, the join funnel) reads small indexed ranges and
stays live.

When a snapshot is computed:

- by the `health_snapshots` periodic job (workers.schedule): the due rows are found through the
  indexed `due_at`; a due snapshot is recomputed when its planet changed since (activity
  recorded after it, another member count, a new local week, an owner's request) or when it is
  older than MAX_AGE, otherwise only its due date moves on. The job also opens a row for each
  planet too large to compute live that has none yet (the planets' member-count index).
- when the owner asks (`request_refresh`, at most once per REFRESH_COOLDOWN): a deferred job
  computes it after the request commits.

A planet without a snapshot is computed live if it is small (HEALTH_LIVE_MAX_MEMBERS, a read
only: a GET never writes); otherwise the page says the figures are being computed.

The numbers come from the same functions as the live view (planet.engagement.insights.health), so a
snapshot holds exactly what the live page would have shown at `computed_at`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import perf_counter

from flask import current_app
from sqlalchemy import exists, func, or_, select

from planet import jobs
from planet.accounts.models import User
from planet.dbutil import dialect_insert
from planet.engagement.clock import to_utc
from planet.engagement.insights import health
from planet.engagement.insights.models import ActivityEvent, HealthSnapshot
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet

log = logging.getLogger(__name__)

DATA_VERSION = 1
LIVE_MAX_MEMBERS = 2000
"""Default for HEALTH_LIVE_MAX_MEMBERS: at or below it a planet without a snapshot is computed
live on the page (tens of milliseconds); above it the page waits for the snapshot."""
REFRESH_EVERY = timedelta(hours=1)
"""A snapshot is looked at again this long after it was computed (or at its planet's next local
week, if sooner), and recomputed then only if something changed."""
MAX_AGE = timedelta(hours=24)
"""Recomputed at least this often even when nothing seems to have changed (activity recorded
late, with an earlier time than the snapshot's mark, is caught up this way)."""
REFRESH_COOLDOWN = timedelta(minutes=5)
"""An owner may ask for a recomputation at most once in this long."""
WEEKS_SHOWN = 12
MEMBERS_SHOWN = 50
QUIET_SHOWN = 200
SWEEP_BATCH = 50


@dataclass
class ActivityHealth:
    """What the health page shows of member activity, and where it came from."""

    state: str
    """'snapshot' (read from the table), 'live' (computed now, small planet) or 'pending'."""
    computed_at: datetime | None = None
    requested_at: datetime | None = None
    refresh_pending: bool = False
    """The owner asked for a recomputation that has not finished yet."""
    weekly: list[tuple[date, int]] = field(default_factory=list)
    members: list[tuple] = field(default_factory=list)
    share: dict | None = None
    cooling: health.CoolingReport | None = None

    @property
    def ready(self) -> bool:
        return self.state != "pending"


# ---------------------------------------------------------------- computing


def compute(planet: Planet, now: datetime) -> dict:
    """The snapshot document for `planet` at `now` (reads only)."""
    cooling = health.cooling(planet, now, limit=QUIET_SHOWN)
    return {
        "v": DATA_VERSION,
        "weekly": [[d.isoformat(), n] for d, n in health.weekly_active(planet, now, WEEKS_SHOWN)],
        "members": [
            [user.id, *(int(n) for n in counts)]
            for user, *counts in health.by_member(planet, now, limit=MEMBERS_SHOWN)
        ],
        "share": health.top_decile_share(planet, now),
        "cooling": {
            "alert": cooling.alert,
            "baseline_total": cooling.baseline_total,
            "recent_total": cooling.recent_total,
            "group_size": cooling.group_size,
            "quiet": [[user.id, base, recent] for user, base, recent in cooling.quiet],
            "baseline_weeks": [d.isoformat() for d in cooling.baseline_weeks],
            "recent_weeks": [d.isoformat() for d in cooling.recent_weeks],
        },
    }


def _latest_activity(planet_id: int) -> datetime | None:
    # max() on the (planet_id, occurred_at) index: one probe.
    return db.session.scalar(
        select(func.max(ActivityEvent.occurred_at)).where(ActivityEvent.planet_id == planet_id)
    )


def _next_due(planet: Planet, now: datetime) -> datetime:
    next_week = health.current_week(planet, now) + timedelta(weeks=1)
    return min(now + REFRESH_EVERY, to_utc(planet, next_week, time(0)))


def _store(snapshot: HealthSnapshot, planet: Planet, now: datetime) -> None:
    started = perf_counter()
    mark = _latest_activity(planet.id)  # before the figures: anything later counts as new
    document = compute(planet, now)
    snapshot.data = json.dumps(document, separators=(",", ":"))
    snapshot.computed_at = now
    snapshot.week_start = health.current_week(planet, now)
    snapshot.member_count = planet.member_count
    snapshot.activity_mark = mark
    snapshot.duration_ms = round((perf_counter() - started) * 1000)
    snapshot.due_at = _next_due(planet, now)
    db.session.flush()


def _changed(snapshot: HealthSnapshot, planet: Planet, now: datetime) -> bool:
    if snapshot.computed_at is None or _version(snapshot) != DATA_VERSION:
        return True
    if snapshot.requested_at is not None and snapshot.requested_at > snapshot.computed_at:
        return True
    return (
        snapshot.computed_at <= now - MAX_AGE
        or snapshot.week_start != health.current_week(planet, now)
        or snapshot.member_count != planet.member_count
        or _latest_activity(planet.id) != snapshot.activity_mark
    )


def _version(snapshot: HealthSnapshot) -> int | None:
    try:
        return json.loads(snapshot.data or "{}").get("v")
    except ValueError:
        return None


def _lock(planet_id: int) -> HealthSnapshot | None:
    """The snapshot row under a row lock, or None if another worker holds it (PostgreSQL;
    SQLite serialises writers itself)."""
    statement = select(HealthSnapshot).where(HealthSnapshot.planet_id == planet_id)
    if db.engine.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return db.session.scalar(statement.execution_options(populate_existing=True))


def refresh_if_due(planet_id: int, now: datetime | None = None) -> str:
    """Bring one planet's snapshot up to date if it is due. Flushes; the caller commits.

    Returns 'computed', 'unchanged' (due, but nothing changed: only the due date moved),
    'not_due' (someone else just did it), 'busy' (another worker holds it) or 'gone'."""
    now = now or utcnow()
    planet = db.session.get(Planet, planet_id)
    if planet is None:
        return "gone"
    snapshot = _lock(planet_id)
    if snapshot is None:
        in_table = db.session.scalar(select(exists().where(HealthSnapshot.planet_id == planet_id)))
        return "busy" if in_table else "gone"
    if snapshot.due_at > now:
        return "not_due"
    if not _changed(snapshot, planet, now):
        snapshot.due_at = _next_due(planet, now)
        db.session.flush()
        return "unchanged"
    _store(snapshot, planet, now)
    return "computed"


@jobs.handler("engagement.refresh_health")
def on_refresh_requested(planet_id: int, **_ignored) -> None:
    """The deferred job behind the owner's 'Recompute now'."""
    outcome = refresh_if_due(planet_id, utcnow())
    log.info("health snapshot for planet %s: %s", planet_id, outcome)


# ---------------------------------------------------------------- the periodic job


def live_max_members() -> int:
    return int(current_app.config.get("HEALTH_LIVE_MAX_MEMBERS", LIVE_MAX_MEMBERS))


def open_missing(now: datetime) -> int:
    """Open a (due) snapshot row for every planet too large to compute live that has none.
    Flushes. Cost: the large planets, through the (is_listed, member_count) index."""
    missing = (
        select(Planet.id)
        .where(
            Planet.is_listed.in_((True, False)),  # lets the (is_listed, member_count) index serve
            Planet.member_count > live_max_members(),
            Planet.dissolved_at.is_(None),
            ~exists().where(HealthSnapshot.planet_id == Planet.id),
        )
        .order_by(Planet.id)
    )
    ids = list(db.session.scalars(missing))
    if ids:
        db.session.execute(
            dialect_insert(HealthSnapshot)
            .values([_new_row(planet_id, now) for planet_id in ids])
            .on_conflict_do_nothing(index_elements=["planet_id"])
        )
        db.session.flush()
    return len(ids)


def _new_row(planet_id: int, now: datetime, requested: bool = False) -> dict:
    return dict(
        planet_id=planet_id,
        due_at=now,
        requested_at=now if requested else None,
        member_count=0,
        duration_ms=0,
        data="",
    )


def due_planet_ids(now: datetime, limit: int = SWEEP_BATCH, skip: set[int] | None = None):
    """Planets whose snapshot is due, earliest first (the due_at index)."""
    statement = (
        select(HealthSnapshot.planet_id)
        .where(HealthSnapshot.due_at <= now)
        .order_by(HealthSnapshot.due_at, HealthSnapshot.planet_id)
        .limit(limit)
    )
    if skip:
        statement = statement.where(HealthSnapshot.planet_id.not_in(skip))
    return list(db.session.scalars(statement))


# ---------------------------------------------------------------- the owner's side


def request_refresh(planet: Planet, now: datetime | None = None) -> bool:
    """Ask for a recomputation now (a deferred job after commit). At most once per
    REFRESH_COOLDOWN per planet, decided atomically in the upsert: False when too soon.
    Flushes; the request commits."""
    now = now or utcnow()
    statement = dialect_insert(HealthSnapshot).values(**_new_row(planet.id, now, requested=True))
    statement = statement.on_conflict_do_update(
        index_elements=["planet_id"],
        set_={"requested_at": now, "due_at": now},
        where=or_(
            HealthSnapshot.requested_at.is_(None),
            HealthSnapshot.requested_at <= now - REFRESH_COOLDOWN,
        ),
    ).returning(HealthSnapshot.planet_id)
    if db.session.execute(statement).first() is None:
        return False
    db.session.flush()
    jobs.defer("engagement.refresh_health", planet_id=planet.id)
    return True


def activity_health(planet: Planet, now: datetime | None = None) -> ActivityHealth:
    """What the page shows: the snapshot if there is one, else live figures for a small planet,
    else 'pending'. Reads only (a GET never writes)."""
    now = now or utcnow()
    snapshot = db.session.get(HealthSnapshot, planet.id)
    requested_at = snapshot.requested_at if snapshot else None
    if snapshot is not None and snapshot.computed_at is not None:
        document = _load(snapshot.data)
        if document is not None:
            pending = requested_at is not None and requested_at > snapshot.computed_at
            return _from_document(document, "snapshot", snapshot.computed_at, requested_at, pending)
    if planet.member_count <= live_max_members():
        return _from_document(compute(planet, now), "live", now)
    return ActivityHealth(
        "pending", requested_at=requested_at, refresh_pending=requested_at is not None
    )


def may_refresh(activity: ActivityHealth, now: datetime) -> bool:
    """Whether the owner may ask for a recomputation now (the page's button)."""
    return activity.requested_at is None or activity.requested_at <= now - REFRESH_COOLDOWN


def _load(data: str) -> dict | None:
    try:
        document = json.loads(data or "{}")
    except ValueError:
        return None
    return document if document.get("v") == DATA_VERSION else None


def _from_document(
    document: dict, state: str, computed_at: datetime, requested_at=None, pending=False
) -> ActivityHealth:
    cooling = document["cooling"]
    ids = {row[0] for row in document["members"]} | {row[0] for row in cooling["quiet"]}
    users = (
        {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )  # one query for every name on the page (names stay current)
    return ActivityHealth(
        state=state,
        computed_at=computed_at,
        requested_at=requested_at,
        refresh_pending=pending,
        weekly=[(date.fromisoformat(d), n) for d, n in document["weekly"]],
        members=[(users[uid], *counts) for uid, *counts in document["members"] if uid in users],
        share=document["share"],
        cooling=health.CoolingReport(
            alert=cooling["alert"],
            baseline_total=cooling["baseline_total"],
            recent_total=cooling["recent_total"],
            group_size=cooling["group_size"],
            quiet=[
                (users[uid], base, last) for uid, base, last in cooling["quiet"] if uid in users
            ],
            baseline_weeks=tuple(date.fromisoformat(d) for d in cooling["baseline_weeks"]),
            recent_weeks=tuple(date.fromisoformat(d) for d in cooling["recent_weeks"]),
        ),
    )
