"""Redis away, end to end: with the broker, the rate-limit store and the cache all on a dead
port, the web serves the timeline, logs people in and accepts a new topic; the work that topic
deferred waits in the job outbox, and once Redis is back the relay hands it to a real
`celery worker`, which runs it exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from planet.extensions import db
from planet.models import utcnow
from planet.notifications.models import Kind, Notification
from tests.factories import PASSWORD
from workers import relay
from workers.app import bind
from workers.models import PendingJob

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def app_config(worker_app_config):
    return {
        **worker_app_config,
        "CELERY_BROKER_URL": DEAD_REDIS,
        "REDIS_URL": DEAD_REDIS,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": DEAD_REDIS,
    }


def mention_notes(user_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.kind == Kind.MENTION)
    )


def test_web_works_while_redis_is_away_and_the_queued_work_runs_once_it_is_back(
    app, make, client, request, worker_broker_url
):
    owner = make.user(name="Star Owner")
    planet = make.planet(owner, slug="outage")
    reader = make.user(name="Mei Reader")
    make.member(planet, reader)
    make.topic(planet, owner, "Yesterday's notes", title="Notes")
    db.session.commit()

    # Log-in is rate-limited through Redis: it still works (counted in memory meanwhile).
    response = client.post("/accounts/login", data={"email": owner.email, "password": PASSWORD})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    timeline = client.get(f"/p/{planet.slug}/")
    assert timeline.status_code == 200 and "Yesterday" in timeline.get_data(as_text=True)

    response = client.post(
        f"/p/{planet.slug}/new",
        data={"title": "During the outage", "body": "Hello @Mei Reader, a new note."},
    )
    assert response.status_code in (302, 303)
    job = db.session.scalar(
        select(PendingJob).where(PendingJob.name == "notifications.topic_created")
    )
    assert job is not None and job.done_at is None  # kept in the database, not lost
    assert mention_notes(reader.id) == 0
    assert "During the outage" in client.get(f"/p/{planet.slug}/").get_data(as_text=True)

    # Redis is back: the app and a real worker use it; the relay (every minute on beat)
    # re-sends what waited, and the worker runs it.
    app.config.update(CELERY_BROKER_URL=worker_broker_url, REDIS_URL=worker_broker_url)
    bind(app)
    worker = request.getfixturevalue("real_worker")()
    summary = relay.relay_due(utcnow() + relay.FIRST_RETRY + timedelta(seconds=1))
    assert summary["sent"] >= 1 and summary["failed"] == 0
    worker.wait_idle(also=lambda: db.session.get(PendingJob, job.id).done_at is not None)
    assert mention_notes(reader.id) == 1

    # A second relay run (or a redelivery) changes nothing.
    relay.relay_due(utcnow() + timedelta(hours=1))
    worker.wait_idle()
    assert mention_notes(reader.id) == 1
    assert relay.run_pending(job.id) == "skipped"
