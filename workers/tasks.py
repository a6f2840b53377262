"""Thin tasks: each logs its id and outcome and calls the services."""

from __future__ import annotations

import logging

from celery import current_task
from werkzeug.utils import import_string

from planet.models import utcnow
from workers import locks, relay
from workers.app import celery
from workers.schedule import PERIODIC

log = logging.getLogger("workers.tasks")


def _task_id() -> str:
    request = getattr(current_task, "request", None)
    return getattr(request, "id", None) or "inline"


@celery.task(name="workers.run_job", acks_late=True)
def run_job(pending_id: int) -> str:
    outcome = relay.run_pending(pending_id)
    log.info("task %s run_job #%s: %s", _task_id(), pending_id, outcome)
    return outcome


@celery.task(name="workers.tick", acks_late=True)
def tick(job_name: str, now_iso: str | None = None) -> str:
    """One beat tick: run `job_name` once for the current period (a second beat is harmless)."""
    from datetime import datetime

    job = PERIODIC[job_name]
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    key = job.period_key(now)
    if not locks.acquire(job_name, key, now):
        log.info("task %s tick %s %s: already run this period", _task_id(), job_name, key)
        return "skipped"
    summary = import_string(job.target)(now)
    locks.finish(job_name, key, utcnow(), str(summary))
    log.info("task %s tick %s %s: %s", _task_id(), job_name, key, summary)
    return "done"
