"""The workers' metrics and log context.

- Celery tasks by name and outcome, and their duration (Celery's task signals); each task's
  log lines carry its name and id.
- At scrape time, from the database (cheap queries on the sweeps' own due-date indexes):
  the lag of every periodic sweep (the age of the oldest item due and not yet handled), the
  outbox's and the job outbox's backlogs, and the age of the worker heartbeat.
- `WORKER_METRICS_PORT`: the worker's main process serves these on its own port
  (`prometheus_client.start_http_server`), for a Prometheus on the private network; with
  Celery's prefork pool set PROMETHEUS_MULTIPROC_DIR so the children's counts add up there.
  The web's `/metrics` (planet.metrics) shows the database gauges too (workers.init_app
  registers the collector), so either scrape target is enough for the sweep alerts.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime

from celery import signals
from flask import has_app_context
from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import exists, func, select

from payments import abandoned
from payments.models import LedgerEntry, Payment, RenewalAttempt
from payments.reminders import REMINDER_LOOKBACK, REMINDERS
from planet import logs, metrics
from planet.config import load_config
from planet.extensions import db
from planet.members import expiry
from planet.members.models import ReminderSent
from planet.models import utcnow
from planet.notifications import outbox
from planet.notifications.models import Outbox
from planet.planets.models import Membership, MembershipStatus
from workers import relay
from workers.models import PendingJob, WorkerHeartbeat
from workers.schedule import PERIODIC

log = logging.getLogger("workers.metrics")

TASKS = Counter(
    "planet_celery_tasks",
    "Celery tasks finished, by task name and outcome (success, failure, retry, ...).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "planet_celery_task_duration_seconds",
    "Celery task run time, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0),
)
BACKLOG_CAP = 100_000
"""Backlog counts stop here: a scrape never counts more index entries than this."""

_running: dict[str, tuple[float, object]] = {}


# ---------------------------------------------------------------- Celery signals


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **_) -> None:
    _running[task_id] = (time.perf_counter(), logs.bind(task=task.name, task_id=task_id))


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_) -> None:
    started, token = _running.pop(task_id, (None, None))
    TASKS.labels(task.name, (state or "unknown").lower()).inc()
    if started is not None:
        TASK_DURATION.labels(task.name).observe(time.perf_counter() - started)
    if token is not None:
        logs.unbind(token)


@signals.setup_logging.connect
def _setup_logging(**_) -> None:
    """Celery leaves logging to us: the same JSON or text lines as the web."""
    logs.configure(load_config())


@signals.worker_init.connect
def _serve_metrics(**_) -> None:
    """In the worker's main process, before the pool starts."""
    metrics.reset_multiprocess_dir(keep_pid=os.getpid())
    port = int(load_config()["WORKER_METRICS_PORT"])
    if port:
        start_http_server(port, registry=metrics.scrape_registry([DatabaseCollector()]))
        log.info("worker metrics on port %s", port)


@signals.worker_process_init.connect
def _forget_parents_connections(**_) -> None:
    """A prefork child inherits the main process's app if a scrape created it there before
    the pool started: the pooled connections belong to the parent, so the child drops them
    (without closing them) and opens its own."""
    from workers import app as celery_app

    if celery_app._flask_app is not None:
        with celery_app._flask_app.app_context():
            db.engine.dispose(close=False)


@signals.worker_process_shutdown.connect
def _child_exited(pid=None, **_) -> None:
    metrics.process_exited(pid or os.getpid())


# ---------------------------------------------------------------- scrape-time gauges


def _oldest(column, *conditions) -> datetime | None:
    """The first value of an indexed due-date column among the due rows."""
    return db.session.scalar(select(column).where(*conditions).order_by(column).limit(1))


def _expiry_due(now: datetime) -> datetime | None:
    """The oldest membership the expiry sweep would claim now (its own statement)."""
    row = db.session.scalars(expiry.expiry_due(now, 1)).first()
    return None if row is None else (row.grace_until or row.expires_at)


def _reminders_due(now: datetime) -> datetime | None:
    due = []
    for kind, ahead in REMINDERS.items():
        expires_at = _oldest(
            Membership.expires_at,
            Membership.status == MembershipStatus.ACTIVE,
            Membership.expires_at > now + ahead - REMINDER_LOOKBACK,
            Membership.expires_at > now,
            Membership.expires_at <= now + ahead,
            ~exists().where(
                ReminderSent.membership_id == Membership.id,
                ReminderSent.kind == kind,
                ReminderSent.period_end == Membership.expires_at,
            ),
        )
        if expires_at is not None:
            due.append(expires_at - ahead)
    return min(due, default=None)


def _abandoned_due(now: datetime) -> datetime | None:
    timeout = abandoned.timeout()
    created = _oldest(
        Payment.created_at,
        Payment.status.in_(abandoned.WAITING),
        Payment.created_at < now - timeout,
    )
    return None if created is None else created + timeout


SWEEP_DUE = {
    "expiry": ("expiry", _expiry_due),
    "reminders": ("reminders", _reminders_due),
    "renewals": (
        "renewals",
        lambda now: _oldest(
            RenewalAttempt.due_at, RenewalAttempt.status == "due", RenewalAttempt.due_at <= now
        ),
    ),
    "settlement": (
        "settlement",
        lambda now: _oldest(
            LedgerEntry.available_at,
            LedgerEntry.settled_at.is_(None),
            LedgerEntry.available_at <= now,
        ),
    ),
    "abandoned": ("abandoned", _abandoned_due),
    "relay": (
        "relay",
        lambda now: _oldest(
            PendingJob.next_attempt_at,
            PendingJob.done_at.is_(None),
            PendingJob.next_attempt_at <= now,
            PendingJob.attempts < relay.MAX_ATTEMPTS,
        ),
    ),
    "mail": (
        "relay",  # the relay delivers the outbox's due mail
        lambda now: _oldest(
            Outbox.next_attempt_at,
            Outbox.sent_at.is_(None),
            Outbox.next_attempt_at <= now,
            Outbox.attempts < outbox.MAX_ATTEMPTS,
        ),
    ),
}
"""Each sweep: (its periodic job, the due date of its oldest item not handled yet)."""


def _capped_count(model, *conditions) -> int:
    found = select(1).select_from(model).where(*conditions).limit(BACKLOG_CAP)
    return db.session.scalar(select(func.count()).select_from(found.subquery()))


def sweep_lags(now: datetime) -> dict[str, tuple[float, float]]:
    """{sweep: (lag in seconds, the sweep's period in seconds)}."""
    lags = {}
    for sweep, (job, oldest_due) in SWEEP_DUE.items():
        due = oldest_due(now)
        lag = max(0.0, (now - due).total_seconds()) if due is not None else 0.0
        lags[sweep] = (lag, PERIODIC[job].period.total_seconds())
    return lags


def backlogs() -> dict[tuple[str, str], int]:
    """{(outbox, state): rows}, each count capped at BACKLOG_CAP."""
    return {
        ("mail", "waiting"): _capped_count(
            Outbox, Outbox.sent_at.is_(None), Outbox.attempts < outbox.MAX_ATTEMPTS
        ),
        ("mail", "given_up"): _capped_count(
            Outbox, Outbox.sent_at.is_(None), Outbox.attempts >= outbox.MAX_ATTEMPTS
        ),
        ("jobs", "waiting"): _capped_count(
            PendingJob, PendingJob.done_at.is_(None), PendingJob.attempts < relay.MAX_ATTEMPTS
        ),
        ("jobs", "given_up"): _capped_count(
            PendingJob, PendingJob.done_at.is_(None), PendingJob.attempts >= relay.MAX_ATTEMPTS
        ),
    }


class DatabaseCollector:
    """Gauges read from the database when Prometheus scrapes."""

    def collect(self):
        if has_app_context():
            yield from self._collect()
            return
        from workers.app import flask_app

        with flask_app().app_context():
            try:
                yield from self._collect()
            finally:
                db.session.remove()

    def _collect(self):
        up = GaugeMetricFamily(
            "planet_database_metrics_up", "1 when the database gauges below could be read."
        )
        try:
            families = list(self._families(utcnow()))
        except Exception:  # report, never break the scrape (the database may be down)
            log.exception("database metrics could not be read")
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, now: datetime):
        lag = GaugeMetricFamily(
            "planet_sweep_lag_seconds",
            "Age of the oldest item due in each periodic sweep and not handled yet (0: none).",
            labels=["sweep"],
        )
        period = GaugeMetricFamily(
            "planet_sweep_period_seconds", "How often each sweep runs.", labels=["sweep"]
        )
        for sweep, (seconds, every) in sweep_lags(now).items():
            lag.add_metric([sweep], seconds)
            period.add_metric([sweep], every)
        yield lag
        yield period
        backlog = GaugeMetricFamily(
            "planet_outbox_backlog",
            f"Unsent emails (mail) and unfinished jobs (jobs) waiting for a retry or given up; "
            f"counted up to {BACKLOG_CAP}.",
            labels=["outbox", "state"],
        )
        for (name, state), count in backlogs().items():
            backlog.add_metric([name, state], count)
        yield backlog
        beat_at = db.session.scalar(
            select(WorkerHeartbeat.beat_at).where(WorkerHeartbeat.name == "worker")
        )
        if beat_at is not None:
            heartbeat = GaugeMetricFamily(
                "planet_worker_heartbeat_age_seconds",
                "Seconds since a worker last ran the heartbeat job beat sends every 30 s.",
            )
            heartbeat.add_metric([], max(0.0, (now - beat_at).total_seconds()))
            yield heartbeat


def init_app(app) -> None:
    metrics.register_collector(app, DatabaseCollector())
