"""A real `celery worker` (prefork, two children) with WORKER_METRICS_PORT: its port shows the
jobs and tasks its children ran (multiprocess mode) and the database gauges, and its JSON log
lines carry the id of the request that deferred the job."""

from __future__ import annotations

import json
import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from planet.extensions import db
from tests.plugins.mail import _free_port
from workers.models import PendingJob

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
PROXY_ID = "edge-9d2b71c4-worker"


@pytest.fixture
def app_config(worker_app_config):
    return worker_app_config


def scrape(port: int) -> dict:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_for(check, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)
        db.session.rollback()


def test_the_worker_port_counts_its_childrens_jobs_and_logs_the_request_id(
    app, make, client, login_as, real_worker, tmp_path
):
    port = _free_port()
    worker = real_worker(
        pool="prefork",
        WORKER_METRICS_PORT=str(port),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "worker-prometheus"),
        LOG_FORMAT="json",
    )
    planet = make.planet()
    login_as(make.user())
    response = client.post(
        f"/p/{planet.slug}/join", data={"accept_rules": "y"}, headers={"X-Request-ID": PROXY_ID}
    )
    assert response.status_code in (302, 303)
    job = db.session.scalar(
        select(PendingJob).where(PendingJob.name == "notifications.member_joined")
    )
    wait_for(lambda: db.session.get(PendingJob, job.id).done_at is not None)

    done = frozenset({("job", job.name), ("outcome", "done")})
    task = frozenset({("task", "workers.run_job"), ("outcome", "success")})
    wait_for(lambda: scrape(port).get(("planet_celery_tasks_total", task), 0) >= 1, 20)
    samples = scrape(port)
    assert samples[("planet_jobs_total", done)] == 1
    assert samples[("planet_database_metrics_up", frozenset())] == 1
    assert ("planet_sweep_lag_seconds", frozenset({("sweep", "expiry")})) in samples

    lines = [json.loads(line) for line in worker.log_text().splitlines() if line.startswith("{")]
    job_lines = [line for line in lines if line.get("job") == job.name]
    assert job_lines, worker.log_text()[-3000:]
    assert {line["request_id"] for line in job_lines} == {PROXY_ID}
    assert all(line["task"] == "workers.run_job" for line in job_lines)
