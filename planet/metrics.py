"""Prometheus metrics: the counters every process shares, the web's request metrics and the
`/metrics` endpoint.

- Requests by endpoint, method and status, and their latency (a histogram).
- The database pool: connections checked out, and the pool's size (per process, summed).
- Deferred jobs by name and outcome, emails handed to SMTP, auto-renewal attempts by outcome
  (counted where they happen: planet.jobs' relay, the outbox, payments.dunning).
- Gauges that need the database (sweep lag, outbox backlog) are computed at scrape time by
  collectors that other floors register in `app.extensions["planet_metrics_collectors"]`
  (workers.metrics does), so this module imports nothing above the ground floor.

Several processes (gunicorn workers, Celery's prefork children) each count on their own;
prometheus_client's multiprocess mode adds them up: set PROMETHEUS_MULTIPROC_DIR to an empty
directory of the service's own, before the processes start (gunicorn.conf.py and the Celery
worker clear it at start and drop a dead process's live gauges).

The endpoint is for the operator's Prometheus only: with METRICS_TOKEN set it wants
`Authorization: Bearer <token>` (401 otherwise); without a token it is open in development
and does not exist (404) in production.
"""

from __future__ import annotations

import hmac
import os
import time
from pathlib import Path

_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if _MULTIPROC_DIR:  # before prometheus_client is imported: it creates its files at once
    Path(_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

from flask import Flask, Response, abort, current_app, g, request  # noqa: E402
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event  # noqa: E402

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "planet_http_requests",
    "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "planet_http_request_duration_seconds",
    "Time from the start of a request to its response (the commit included), by endpoint.",
    ["endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_POOL_CHECKED_OUT = Gauge(
    "planet_db_pool_checked_out_connections",
    "Database connections in use (checked out of the pool), summed over live processes.",
    multiprocess_mode="livesum",
)
DB_POOL_SIZE = Gauge(
    "planet_db_pool_size_connections",
    "Database pool size (without overflow), summed over live processes.",
    multiprocess_mode="livesum",
)
JOBS = Counter(
    "planet_jobs",
    "Deferred jobs run, by job name and outcome (done, failed, skipped).",
    ["job", "outcome"],
)
MAIL = Counter(
    "planet_mail_deliveries",
    "Emails the outbox handed to SMTP, by outcome (sent, failed).",
    ["outcome"],
)
RENEWALS = Counter(
    "planet_renewal_attempts",
    "Auto-renewal charge attempts, by outcome (succeeded, failed, processing, cancelled, "
    "provider_error).",
    ["outcome"],
)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def reset_multiprocess_dir(keep_pid: int | None = None) -> None:
    """At a service's start: forget the previous run's files (all of them, or all but this
    process's own). Every process of the run is new, so no total is lost."""
    directory = multiprocess_dir()
    if not directory:
        return
    for path in Path(directory).glob("*.db"):
        if keep_pid is not None and path.stem.rsplit("_", 1)[-1] == str(keep_pid):
            continue
        path.unlink(missing_ok=True)


def process_exited(pid: int) -> None:
    """A worker process ended: its live gauges (pool use) stop counting."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


# ---------------------------------------------------------------- the registry a scrape reads


class _ThisProcess:
    """The default registry (this process's metrics, the process and GC collectors)."""

    def collect(self):
        return REGISTRY.collect()


def scrape_registry(collectors=()) -> CollectorRegistry:
    """A registry for one scrape: every process's metrics in multiprocess mode (else this
    process's), plus the scrape-time collectors."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return registry


def register_collector(app: Flask, collector) -> None:
    """Add a scrape-time collector (an object with `collect()`) to the app's endpoint."""
    app.extensions.setdefault("planet_metrics_collectors", []).append(collector)


# ---------------------------------------------------------------- requests and the pool


def _endpoint_label() -> str:
    return request.url_rule.endpoint if request.url_rule is not None else "unmatched"


def _start_timer() -> None:
    g.planet_metrics_started = time.perf_counter()


def _record(status: int) -> None:
    started = g.pop("planet_metrics_started", None)
    if started is None:
        return  # recorded already (or the request never started)
    record_request(_endpoint_label(), request.method, status, started)


def record_request(endpoint: str, method: str, status: int, started: float) -> None:
    """Count one request and its latency (`started`: its time.perf_counter() at the start)."""
    HTTP_REQUESTS.labels(endpoint, method, str(status)).inc()
    HTTP_LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)


def _after_request(response):
    _record(response.status_code)
    return response


def _teardown(error) -> None:
    if error is not None:  # an exception no handler answered (tests propagate them)
        _record(500)


def _watch_pool(engine) -> None:
    size = getattr(engine.pool, "size", None)
    if callable(size):
        DB_POOL_SIZE.set(size())
    event.listen(engine, "checkout", lambda *_: DB_POOL_CHECKED_OUT.inc())
    event.listen(engine, "checkin", lambda *_: DB_POOL_CHECKED_OUT.dec())


# ---------------------------------------------------------------- the endpoint


def _refusal() -> Response | None:
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        if current_app.config["PLANET_ENV"] == "production":
            abort(404)
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    return Response(
        "metrics need the bearer token (METRICS_TOKEN)\n",
        401,
        {"WWW-Authenticate": 'Bearer realm="metrics"'},
        mimetype="text/plain",
    )


def metrics_view():
    refusal = _refusal()
    if refusal is not None:
        return refusal
    registry = scrape_registry(current_app.extensions.get("planet_metrics_collectors", ()))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Count every request (call early: the after-request hook then runs after the commit)."""
    from planet.extensions import db

    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_after_request)
    app.teardown_request(_teardown)
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
    with app.app_context():
        _watch_pool(db.engine)
