"""Two beat ticks for the same period, at the same moment on PostgreSQL: the job runs once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from planet.extensions import db
from planet.members.models import ReminderSent
from planet.models import utcnow
from planet.notifications.models import Notification
from planet.planets.models import Membership, MembershipStatus
from tests.workers.racing import race
from workers.models import PeriodicRun
from workers.tasks import tick

pytestmark = pytest.mark.postgres


def _race(app, job: str, now_iso: str, ticks: int) -> list[str]:
    return race(app, lambda: tick.run(job, now_iso), ticks)


def test_concurrent_ticks_for_one_period_run_the_sweep_once(app, make):
    planet = make.planet()
    due = [make.member(planet, expires_in=timedelta(minutes=-n - 1)).id for n in range(20)]
    db.session.commit()
    now = utcnow()
    assert _race(app, "expiry", now.isoformat(), 4) == ["done", "skipped", "skipped", "skipped"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PeriodicRun)) == 1
    statuses = db.session.scalars(select(Membership.status).where(Membership.id.in_(due))).all()
    assert set(statuses) == {MembershipStatus.EXPIRED}
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 20
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 20
    # The next period's ticks run again (once), and find nothing left to do.
    later = (now + timedelta(minutes=5)).isoformat()
    assert _race(app, "expiry", later, 2) == ["done", "skipped"]
    assert db.session.scalar(select(func.count()).select_from(PeriodicRun)) == 2
