"""The health-snapshot job on PostgreSQL: beat ticks racing for one period run it once, and a
refresh job racing the sweep for one planet computes its snapshot once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from planet.engagement.insights import health, health_snapshot
from planet.engagement.insights.activity import record_activity
from planet.engagement.insights.health_snapshot import HealthSnapshot
from planet.engagement.insights.models import ActivityKind
from planet.extensions import db
from planet.models import utcnow
from tests.workers.racing import race
from workers.models import PeriodicRun
from workers.tasks import tick

pytestmark = pytest.mark.postgres
PERIOD = timedelta(minutes=15)  # the job's beat period


def _busy_planet(make, members: int = 4):
    planet = make.planet()
    ids = [make.member(planet).user_id for _ in range(members)]
    for n, user_id in enumerate(ids):
        record_activity(planet.id, user_id, ActivityKind.COMMENT, 1000 * planet.id + n)
    db.session.commit()
    return planet


def _well_inside_a_week(planet) -> datetime:
    """Now, or an hour earlier when a new local week begins within the next period: a snapshot
    taken just before the week turns is rightly due again at the turn."""
    now = utcnow()
    if health.current_week(planet, now) != health.current_week(planet, now + PERIOD * 2):
        return now - timedelta(hours=1)
    return now


def test_concurrent_ticks_compute_each_snapshot_once(app, make):
    app.config["HEALTH_LIVE_MAX_MEMBERS"] = 2
    planets = [_busy_planet(make) for _ in range(3)]
    make.planet()  # one member: small enough to stay live, never opened
    now = _well_inside_a_week(planets[0])
    outcomes = race(app, lambda: tick.run("health_snapshots", now.isoformat()), 3)
    assert outcomes == ["done", "skipped", "skipped"]
    db.session.expire_all()
    rows = db.session.scalars(select(HealthSnapshot).order_by(HealthSnapshot.planet_id)).all()
    assert [row.planet_id for row in rows] == [planet.id for planet in planets]
    assert {row.computed_at for row in rows} == {now}
    run = db.session.scalar(select(PeriodicRun).where(PeriodicRun.job == "health_snapshots"))
    assert "'computed': 3" in run.summary and "'opened': 3" in run.summary
    # The next period's tick finds nothing due: nothing recomputed.
    later = now + PERIOD
    assert tick.run("health_snapshots", later.isoformat()) == "done"
    db.session.expire_all()
    assert {row.computed_at for row in db.session.scalars(select(HealthSnapshot))} == {now}
    assert db.session.scalar(select(func.count()).select_from(PeriodicRun)) == 2


def test_refresh_job_racing_the_sweep_computes_once(app, make):
    planet_id = _busy_planet(make).id  # an id: the threads must not touch this session
    now = utcnow()
    db.session.add(
        HealthSnapshot(planet_id=planet_id, due_at=now, member_count=0, duration_ms=0, data="")
    )
    db.session.commit()

    def refresh() -> str:
        outcome = health_snapshot.refresh_if_due(planet_id, now)
        db.session.commit()
        return outcome

    outcomes = race(app, refresh, 4)
    assert outcomes.count("computed") == 1
    assert set(outcomes) - {"computed"} <= {"busy", "not_due"}
    db.session.expire_all()
    assert db.session.get(HealthSnapshot, planet_id).computed_at == now
