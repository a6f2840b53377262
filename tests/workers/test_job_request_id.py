"""A deferred job carries the id of the request that deferred it: stored on its job-outbox row,
and bound again when a worker runs it, so the job's log lines carry it too."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import select

from planet import logs
from planet.extensions import db
from workers.app import bind
from workers.models import PendingJob
from workers.tasks import run_job

PROXY_ID = "edge-3c1e6f0a-join"


@pytest.fixture
def app_config():
    # A broker that is down: the job waits in the job outbox until a worker runs it.
    return {"CELERY_ALWAYS_EAGER": False, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}


@pytest.fixture
def log_buffer():
    buffer = io.StringIO()
    handler = logs.make_handler("json", buffer)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(previous_level)


def lines_of(buffer: io.StringIO) -> list[dict]:
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    buffer.seek(0)
    buffer.truncate()
    return lines


def test_the_job_runs_under_the_request_id_that_deferred_it(
    app, make, client, login_as, log_buffer
):
    planet = make.planet()
    login_as(make.user())
    response = client.post(
        f"/p/{planet.slug}/join", data={"accept_rules": "y"}, headers={"X-Request-ID": PROXY_ID}
    )
    assert response.status_code in (302, 303)
    request_lines = lines_of(log_buffer)
    assert request_lines and {line["request_id"] for line in request_lines} == {PROXY_ID}
    job = db.session.scalar(
        select(PendingJob).where(PendingJob.name == "notifications.member_joined")
    )
    assert job.request_id == PROXY_ID and job.done_at is None

    # Later, outside any request, a worker runs it (here: Celery in eager mode).
    app.config.update(CELERY_ALWAYS_EAGER=True, CELERY_BROKER_URL="")
    bind(app)
    assert logs.current_request_id() is None
    assert run_job.apply(args=[job.id]).get() == "done"
    job_lines = [line for line in lines_of(log_buffer) if line.get("job") == job.name]
    assert job_lines
    for line in job_lines:
        assert line["request_id"] == PROXY_ID
        assert line["pending_job_id"] == job.id
        assert line["task"] == "workers.run_job" and line["task_id"]
    assert logs.current_request_id() is None  # nothing leaks past the job
