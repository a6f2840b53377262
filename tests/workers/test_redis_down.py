"""Redis down: the web keeps serving and accepting writes; the jobs those writes deferred are
kept in the database (the job outbox) and run once the broker is back."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from planet.extensions import db
from planet.models import utcnow
from planet.notifications.models import Kind, Notification
from workers import relay
from workers.app import bind
from workers.models import PendingJob


@pytest.fixture
def app_config():
    return {"CELERY_ALWAYS_EAGER": False, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}


def test_writes_succeed_with_the_broker_down_and_jobs_run_later(app, make, client, login_as):
    owner = make.user()
    planet = make.planet(owner)
    joiner = make.user()
    login_as(joiner)
    assert client.get(f"/p/{planet.slug}/", follow_redirects=True).status_code == 200  # reads
    response = client.post(f"/p/{planet.slug}/join", data={"accept_rules": "y"})
    assert response.status_code in (200, 302, 303)
    job = db.session.scalar(
        select(PendingJob).where(PendingJob.name == "notifications.member_joined")
    )
    assert job is not None and job.done_at is None  # kept, not lost
    assert db.session.scalar(select(Notification)) is None
    # The broker comes back (here: eager), and the relay runs what waited.
    app.config.update(CELERY_ALWAYS_EAGER=True, CELERY_BROKER_URL="")
    bind(app)
    summary = relay.relay_due(utcnow() + timedelta(minutes=3))
    assert summary["sent"] >= 1
    db.session.expire_all()
    assert db.session.get(PendingJob, job.id).done_at is not None
    note = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    assert note is not None and note.kind is Kind.MEMBER_JOINED
    # Running it again does nothing more.
    assert relay.run_pending(job.id) == "skipped"
