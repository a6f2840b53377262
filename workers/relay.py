"""Deferred jobs, reliably: a transactional job outbox between planet.jobs and Celery.

With a broker configured, the jobs a transaction deferred are written as `PendingJob` rows in
that same transaction (a `before_commit` hook), so a job exists exactly when its change does.
After the commit the dispatcher sends `workers.run_job(id)` to the broker; if the broker is down
the request still succeeds and the row waits. `relay_due` (every minute on beat, and from the
CLI) re-sends rows whose `next_attempt_at` passed. Running a row takes its lock, runs the one
handler declared for the name (planet.jobs) in one transaction and stamps `done_at` in it, so a
redelivered or re-sent job does nothing the second time.

Without a broker (eager mode: unit tests, CELERY_ALWAYS_EAGER) handlers run inline after commit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from planet import jobs, logs, metrics
from planet.extensions import db
from planet.models import utcnow
from planet.notifications import outbox
from workers.models import PendingJob

log = logging.getLogger("workers.relay")
FIRST_RETRY = timedelta(minutes=2)
LEASE = timedelta(minutes=5)
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 720)]
MAX_ATTEMPTS = 12
QUEUE_BY_PREFIX = {"payments.": "billing", "accounts.": "mail"}


@dataclass(frozen=True)
class PersistedJob(jobs.Job):
    pending_id: int = 0
    extra: dict = field(default_factory=dict)


def uses_outbox(app=None) -> bool:
    app = app or current_app
    return bool(app.extensions.get("planet_job_outbox"))


@event.listens_for(Session, "before_commit")
def _persist_jobs(session: Session) -> None:
    if not has_app_context() or not uses_outbox():
        return
    pending = session.info.get(jobs._PENDING_KEY)
    if not pending or all(isinstance(job, PersistedJob) for job in pending):
        return
    now = utcnow()
    persisted = []
    rows = []
    for job in pending:
        if isinstance(job, PersistedJob):
            persisted.append(job)
            continue
        row = PendingJob(
            name=job.name,
            kwargs=json.dumps(job.kwargs, sort_keys=True),
            request_id=job.request_id,
            next_attempt_at=now + FIRST_RETRY,
            created_at=now,
        )
        session.add(row)
        rows.append((job, row))
    session.flush()
    persisted.extend(
        PersistedJob(job.name, job.kwargs, job.request_id, pending_id=row.id) for job, row in rows
    )
    session.info[jobs._PENDING_KEY] = persisted


def queue_for(name: str) -> str:
    for prefix, queue in QUEUE_BY_PREFIX.items():
        if name.startswith(prefix):
            return queue
    return "default"


def dispatch(job: jobs.Job) -> None:
    """The app's dispatcher (app.extensions['planet_dispatcher'])."""
    if isinstance(job, PersistedJob):
        try:
            send(job.pending_id, job.name)
        except Exception as error:  # broker down: the row waits for the relay
            log.warning(
                "job %s #%s not enqueued (%s); the relay will retry",
                job.name,
                job.pending_id,
                error,
            )
        return
    with logs.bound(request_id=job.request_id):
        run_handlers_inline(job.name, job.kwargs)


def send(pending_id: int, name: str) -> None:
    from workers.tasks import run_job

    run_job.apply_async(args=[pending_id], queue=queue_for(name), retry=False)


def run_handlers_inline(name: str, kwargs: dict) -> None:
    """Eager mode: run the job's handler after the commit, in its own transaction."""
    handler = jobs.handler_for(name)
    with logs.bound(job=name):
        try:
            handler(**kwargs)
            jobs.commit()
            outbox.deliver_new()
        except Exception:
            db.session.rollback()
            outbox.forget_new()
            metrics.JOBS.labels(name, "failed").inc()
            log.exception("job %s handler %s failed", name, handler.__qualname__)
            return
        log.info("job %s done", name)
        metrics.JOBS.labels(name, "done").inc()


def run_pending(pending_id: int) -> str:
    """Run one PendingJob under its row lock; idempotent. Returns the outcome."""
    row = db.session.scalar(
        select(PendingJob)
        .where(PendingJob.id == pending_id, PendingJob.done_at.is_(None))
        .with_for_update(skip_locked=True)
    )
    if row is None:
        db.session.rollback()
        return "skipped"
    name = row.name
    # The job's lines carry the id of the request that deferred it.
    with logs.bound(request_id=row.request_id, job=name, pending_job_id=pending_id):
        outcome = _run_locked(row)
    metrics.JOBS.labels(name, outcome).inc()
    return outcome


def _run_locked(row: PendingJob) -> str:
    pending_id, name, kwargs = row.id, row.name, json.loads(row.kwargs)
    try:
        jobs.handler_for(name)(**kwargs)
        row = db.session.get(PendingJob, pending_id)
        row.done_at = utcnow()
        row.attempts += 1
        jobs.commit()
    except Exception as error:
        db.session.rollback()
        outbox.forget_new()
        attempts = db.session.scalar(select(PendingJob.attempts).where(PendingJob.id == pending_id))
        delay = BACKOFF[min(attempts, len(BACKOFF) - 1)]
        db.session.execute(
            update(PendingJob)
            .where(PendingJob.id == pending_id)
            .values(
                attempts=PendingJob.attempts + 1,
                next_attempt_at=utcnow() + delay,
                last_error=f"{type(error).__name__}: {error}"[:500],
            )
        )
        db.session.commit()
        log.exception("job %s #%s failed; retry in %s", name, pending_id, delay)
        return "failed"
    log.info("job %s #%s done", name, pending_id)
    outbox.deliver_new()
    return "done"


def relay_due(now: datetime | None = None, limit: int = 1000) -> dict:
    """Re-send jobs whose first send failed or whose worker died; run them inline without a
    broker. Claims rows with a lease so two relays do not both send."""
    now = now or utcnow()
    statement = (
        select(PendingJob.id, PendingJob.name)
        .where(
            PendingJob.done_at.is_(None),
            PendingJob.next_attempt_at <= now,
            PendingJob.attempts < MAX_ATTEMPTS,
        )
        .order_by(PendingJob.next_attempt_at)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = db.session.execute(statement).all()
    if rows:
        db.session.execute(
            update(PendingJob)
            .where(PendingJob.id.in_([row.id for row in rows]))
            .values(next_attempt_at=now + LEASE)
        )
    db.session.commit()
    sent = failed = 0
    eager = current_app.config.get("CELERY_ALWAYS_EAGER") or not uses_outbox()
    for row in rows:
        if eager:
            outcome = run_pending(row.id)
            sent += outcome == "done"
            failed += outcome == "failed"
            continue
        try:
            send(row.id, row.name)
            sent += 1
        except Exception as error:
            failed += 1
            log.warning("relay: job #%s not enqueued: %s", row.id, error)
            break  # the broker is down: the rest wait for the next run
    mails_sent, mails_failed = outbox.deliver_due(now)
    return {
        "jobs": len(rows),
        "sent": sent,
        "failed": failed,
        "mail_sent": mails_sent,
        "mail_failed": mails_failed,
    }
