"""The beat schedule. Exactly one beat should run; a lock per job and period (workers.locks)
makes a second beat harmless: each periodic job still runs once per period.

Every entry sends `workers.tick(job)`; the tick takes the job's period lock and runs the sweep.
Due work lives in the database (indexed due dates), never in long broker ETAs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.schedules import crontab


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str
    """'module:function' called with `now` inside the tick."""
    schedule: object
    period: timedelta
    """Length of one period: the lock key is the period's start."""
    queue: str = "default"

    def period_key(self, now: datetime) -> str:
        seconds = int(self.period.total_seconds())
        start = int(now.timestamp()) // seconds * seconds
        return datetime.fromtimestamp(start, now.tzinfo).strftime("%Y%m%dT%H%M%S")


MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)

PERIODIC: dict[str, Periodic] = {
    job.name: job
    for job in (
        Periodic("heartbeat", "workers.health:beat_heartbeat", 30.0, timedelta(seconds=30)),
        Periodic("relay", "workers.relay:relay_due", 60.0, MINUTE),
        Periodic(
            "expiry", "planet.members.expiry:sweep_expiry", 300.0, timedelta(minutes=5), "billing"
        ),
        Periodic(
            "reminders",
            "payments.reminders:sweep_reminders",
            900.0,
            timedelta(minutes=15),
            "billing",
        ),
        Periodic(
            "renewals", "payments.dunning:sweep_renewals", 900.0, timedelta(minutes=15), "billing"
        ),
        Periodic(
            "abandoned",
            "payments.abandoned:sweep_abandoned",
            300.0,
            timedelta(minutes=5),
            "billing",
        ),
        Periodic("settlement", "payments.settlement:sweep_settlement", 3600.0, HOUR, "billing"),
        Periodic("exports", "planet.exports.services:expire_due", 3600.0, HOUR),
        # Owners' weekly reports: each planet's on its weekday from 08:00 local time.
        Periodic("weekly_reports", "payments.weekly_report:sweep_weekly_reports", 3600.0, HOUR),
        # Paid questions past their deadline: refunded in full, one transaction each.
        Periodic(
            "question_deadlines",
            "payments.questions:sweep_question_deadlines",
            300.0,
            timedelta(minutes=5),
            "billing",
        ),
        # Weekly payouts, Monday 02:00 UTC.
        Periodic(
            "payouts",
            "payments.settlement:sweep_payouts",
            crontab(minute=0, hour=2, day_of_week=1),
            DAY,
            "billing",
        ),
        # Nightly reconciliation, 03:00 UTC.
        Periodic(
            "reconcile", "workers.sweeps:sweep_reconcile", crontab(minute=0, hour=3), DAY, "billing"
        ),
        # Community life: check-in and event reminders, landing views into the join funnel.
        Periodic(
            "checkin_reminders",
            "workers.engagement_tasks:checkin_reminders",
            600.0,
            timedelta(minutes=10),
            "mail",
        ),
        Periodic(
            "event_reminders",
            "workers.engagement_tasks:event_reminders",
            300.0,
            timedelta(minutes=5),
            "mail",
        ),
        # Scheduled topics and announcements, published at their minute (each once).
        Periodic("scheduled_posts", "planet.content.drafts.publish:publish_due", 60.0, MINUTE),
        Periodic("landing_views", "workers.engagement_tasks:landing_views", 60.0, MINUTE),
        # Community health: recompute the due snapshots (only planets that changed).
        Periodic(
            "health_snapshots",
            "workers.engagement_tasks:health_snapshots",
            900.0,
            timedelta(minutes=15),
        ),
        # Digests: daily ones every morning, weekly ones on Monday morning (08:00 UTC).
        Periodic(
            "digest_daily", "workers.digests:fan_out_daily", crontab(minute=0, hour=8), DAY, "mail"
        ),
        Periodic(
            "digest_weekly",
            "workers.digests:fan_out_weekly",
            crontab(minute=0, hour=8, day_of_week=1),
            DAY,
            "mail",
        ),
    )
}


def beat_schedule() -> dict:
    return {
        f"planet-{job.name}": {
            "task": "workers.tick",
            "schedule": job.schedule,
            "args": (job.name,),
            "options": {"queue": job.queue, "expires": 3600},
        }
        for job in PERIODIC.values()
    }
