"""The Prometheus endpoint: its names and labels, counters that move with requests, jobs,
tasks and mail, gauges read from the database at scrape time, and its protection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from planet import jobs
from planet.extensions import db
from planet.models import utcnow
from planet.notifications import outbox
from planet.notifications.models import Outbox
from workers.models import WorkerHeartbeat
from workers.tasks import tick

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def app_config():
    return {"METRICS_TOKEN": TOKEN}


def scrape(client, token: str | None = TOKEN) -> dict:
    """{(sample name, frozenset(labels)): value} of one scrape."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_request_moves_its_counter_and_latency_histogram(app, client, make):
    planet = make.planet()
    before = scrape(client)
    assert client.get(f"/p/{planet.slug}/").status_code in (200, 302)
    assert client.get("/p/no-such-planet/").status_code == 404
    after = scrape(client)
    endpoint = app.url_map.bind("localhost").match(f"/p/{planet.slug}/")[0]
    status = str(client.get(f"/p/{planet.slug}/").status_code)
    labels = {"endpoint": endpoint, "method": "GET", "status": status}
    assert value(after, "planet_http_requests_total", **labels) == (
        value(before, "planet_http_requests_total", **labels) + 1
    )
    missing = {"endpoint": endpoint, "method": "GET", "status": "404"}
    assert value(after, "planet_http_requests_total", **missing) == (
        value(before, "planet_http_requests_total", **missing) + 1
    )
    count = {"endpoint": endpoint, "method": "GET"}
    assert value(after, "planet_http_request_duration_seconds_count", **count) == (
        value(before, "planet_http_request_duration_seconds_count", **count) + 2
    )
    bucket = {**count, "le": "+Inf"}
    assert value(after, "planet_http_request_duration_seconds_bucket", **bucket) == value(
        after, "planet_http_request_duration_seconds_count", **count
    )
    # The first scrape is counted by the second one, under its own endpoint.
    assert value(
        after, "planet_http_requests_total", endpoint="metrics", method="GET", status="200"
    )
    assert ("planet_db_pool_checked_out_connections", frozenset()) in after
    assert ("planet_db_pool_size_connections", frozenset()) in after


def test_a_job_a_request_deferred_and_a_task_are_counted(client, make, login_as):
    planet = make.planet()
    joiner = make.user()
    login_as(joiner)
    done = {"job": "notifications.member_joined", "outcome": "done"}
    success = {"task": "workers.tick", "outcome": "success"}
    before = scrape(client)
    response = client.post(f"/p/{planet.slug}/join", data={"accept_rules": "y"})
    assert response.status_code in (302, 303)
    assert tick.apply(args=["heartbeat"]).get() == "done"
    after = scrape(client)
    assert (
        value(after, "planet_jobs_total", **done) == value(before, "planet_jobs_total", **done) + 1
    )
    assert value(after, "planet_celery_tasks_total", **success) == (
        value(before, "planet_celery_tasks_total", **success) + 1
    )
    assert value(after, "planet_celery_task_duration_seconds_count", task="workers.tick") == (
        value(before, "planet_celery_task_duration_seconds_count", task="workers.tick") + 1
    )
    # The heartbeat the task wrote is seconds old.
    assert 0 <= value(after, "planet_worker_heartbeat_age_seconds") < 60


def test_mail_sent_by_the_outbox_is_counted(client, smtp_catcher):
    before = scrape(client)
    outbox.queue_email("reader@example.com", "metrics-test:1", "Hello", "Body text")
    jobs.commit()
    assert outbox.deliver_new() == (1, 0)
    after = scrape(client)
    assert value(after, "planet_mail_deliveries_total", outcome="sent") == (
        value(before, "planet_mail_deliveries_total", outcome="sent") + 1
    )
    assert len(smtp_catcher.messages) == 1


def test_sweep_lag_and_backlog_are_read_from_the_database(client, make):
    planet = make.planet()
    empty = scrape(client)
    assert value(empty, "planet_database_metrics_up") == 1
    for sweep in ("expiry", "reminders", "renewals", "settlement", "abandoned", "relay", "mail"):
        assert ("planet_sweep_lag_seconds", frozenset({("sweep", sweep)})) in empty, sweep
        assert value(empty, "planet_sweep_lag_seconds", sweep=sweep) == 0
        assert value(empty, "planet_sweep_period_seconds", sweep=sweep) > 0
    assert value(empty, "planet_outbox_backlog", outbox="mail", state="waiting") == 0

    # A membership that ended an hour ago and was not expired yet; two emails not sent.
    make.member(planet, expires_in=timedelta(hours=-1))
    outbox.queue_email("a@example.com", "metrics-test:a", "Hi", "Text")
    outbox.queue_email("b@example.com", "metrics-test:b", "Hi", "Text")
    db.session.commit()
    overdue = db.session.query(Outbox).filter_by(purpose="metrics-test:a").one()
    overdue.next_attempt_at = utcnow() - timedelta(minutes=30)
    db.session.commit()

    after = scrape(client)
    assert 3600 <= value(after, "planet_sweep_lag_seconds", sweep="expiry") < 3600 + 120
    assert 1800 <= value(after, "planet_sweep_lag_seconds", sweep="mail") < 1800 + 120
    assert value(after, "planet_sweep_lag_seconds", sweep="renewals") == 0
    assert value(after, "planet_outbox_backlog", outbox="mail", state="waiting") == 2
    assert value(after, "planet_outbox_backlog", outbox="mail", state="given_up") == 0


def test_no_heartbeat_no_heartbeat_gauge(client):
    assert db.session.get(WorkerHeartbeat, "worker") is None
    assert ("planet_worker_heartbeat_age_seconds", frozenset()) not in scrape(client)


def test_the_token_is_required_when_set(client):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"planet_http_requests_total" not in wrong.data
    basic = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status_code == 401
    assert "planet_http_requests_total" in {name for name, _ in scrape(client, TOKEN)}


def test_without_a_token_open_in_development_and_absent_in_production(app, client):
    app.config.update(METRICS_TOKEN="")
    assert scrape(client, token=None)
    app.config.update(PLANET_ENV="production")
    assert client.get("/metrics").status_code == 404
    app.config.update(METRICS_TOKEN=TOKEN)
    assert client.get("/metrics").status_code == 401
    assert scrape(client, TOKEN)


@pytest.mark.postgres  # a real QueuePool (the SQLite tests share one static connection)
def test_the_pool_gauge_follows_checkouts_and_checkins(app, client):
    def in_use() -> float:
        return REGISTRY.get_sample_value("planet_db_pool_checked_out_connections")

    idle = in_use()
    with db.engine.connect():
        assert in_use() == idle + 1
        with db.engine.connect():
            assert in_use() == idle + 2
    assert in_use() == idle
    assert REGISTRY.get_sample_value("planet_db_pool_size_connections") == db.engine.pool.size()
    client.get("/healthz")  # a request returns what it took
    assert in_use() == idle
