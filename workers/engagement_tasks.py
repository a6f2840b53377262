"""The engagement sweeps (run by `workers.tick` from the beat schedule, not Celery tasks of their
own): the check-in and event reminders, the landing-view flush and the community-health snapshots.

Periodic targets for workers.schedule (each called with `now` by `workers.tick`):

    Periodic("checkin_reminders", "workers.engagement_tasks:checkin_reminders", 600.0,
             timedelta(minutes=10)),
    Periodic("event_reminders", "workers.engagement_tasks:event_reminders", 300.0,
             timedelta(minutes=5)),
    Periodic("landing_views", "workers.engagement_tasks:landing_views", 60.0, MINUTE),
    Periodic("health_snapshots", "workers.engagement_tasks:health_snapshots", 900.0,
             timedelta(minutes=15)),

Each sweep is idempotent (unique reminder keys / per-occurrence marks), so a re-run or a
second beat sends nothing twice; a health snapshot is recomputed only while it is due, and a
computed one is not due again for an hour. Each commits through planet.jobs.commit (once; the
health snapshots once per planet) so the jobs it deferred are dispatched after the commit.
"""

from __future__ import annotations

from datetime import datetime

from planet import jobs
from planet.engagement.checkins import services as checkins
from planet.engagement.events import services as events
from planet.engagement.insights import health_snapshot
from planet.engagement.insights import landing_views as views
from planet.models import utcnow


def checkin_reminders(now: datetime | None = None) -> dict:
    summary = checkins.due_checkin_reminders(now or utcnow())
    jobs.commit()
    return summary


def event_reminders(now: datetime | None = None) -> dict:
    summary = events.send_event_reminders(now or utcnow())
    jobs.commit()
    return summary


def landing_views(now: datetime | None = None) -> dict:
    summary = views.flush_landing_views(now or utcnow())
    jobs.commit()
    return summary


def health_snapshots(now: datetime | None = None) -> dict:
    """Open snapshots for large planets, then bring each due one up to date, one commit per
    planet (a large planet takes about a second; its row lock is held only for its own)."""
    now = now or utcnow()
    summary = {"opened": health_snapshot.open_missing(now)}
    jobs.commit()
    seen: set[int] = set()
    while batch := health_snapshot.due_planet_ids(now, skip=seen):
        for planet_id in batch:
            outcome = health_snapshot.refresh_if_due(planet_id, now)
            jobs.commit()
            summary[outcome] = summary.get(outcome, 0) + 1
        seen.update(batch)
    return summary
