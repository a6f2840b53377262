"""A lock per periodic job and period, in the database (works on SQLite and PostgreSQL, with or
without Redis). Two beats send two ticks; the first inserts the (job, period) row, the second
finds it and does nothing. A run whose worker died is taken over after its lease expires, so a
redelivered tick still finishes the period's work."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from planet.dbutil import insert_ignore
from planet.extensions import db
from workers.models import PeriodicRun

LEASE = timedelta(minutes=30)


def acquire(job: str, period_key: str, now: datetime, lease: timedelta = LEASE) -> bool:
    inserted = insert_ignore(
        PeriodicRun,
        {"job": job, "period_key": period_key, "started_at": now, "summary": ""},
        ["job", "period_key"],
    )
    if inserted:
        db.session.commit()
        return True
    # Taken: take it over only if that run never finished and its lease expired.
    taken_over = db.session.execute(
        update(PeriodicRun)
        .where(
            PeriodicRun.job == job,
            PeriodicRun.period_key == period_key,
            PeriodicRun.finished_at.is_(None),
            PeriodicRun.started_at < now - lease,
        )
        .values(started_at=now)
    ).rowcount
    db.session.commit()
    return bool(taken_over)


def finish(job: str, period_key: str, now: datetime, summary: str) -> None:
    db.session.execute(
        update(PeriodicRun)
        .where(PeriodicRun.job == job, PeriodicRun.period_key == period_key)
        .values(finished_at=now, summary=summary[:500])
    )
    db.session.commit()


def last_finished(job: str) -> PeriodicRun | None:
    return db.session.scalar(
        select(PeriodicRun)
        .where(PeriodicRun.job == job, PeriodicRun.finished_at.is_not(None))
        .order_by(PeriodicRun.finished_at.desc())
        .limit(1)
    )
