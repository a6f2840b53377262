"""The scheduled-post sweep on PostgreSQL: sweeps running at the same instant in several
threads (each its own session and connection) publish each due draft exactly once, and its
jobs (notifications, points) are dispatched once, after the commit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from planet.content.drafts.models import Draft, DraftState
from planet.content.drafts.publish import publish_due
from planet.content.models import Hashtag, Topic
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet, Role
from tests.workers.racing import race

pytestmark = pytest.mark.postgres

DRAFTS = 40
THREADS = 4


def _schedule(planet, author, n: int, due_at):
    for i in range(n):
        db.session.add(
            Draft(planet_id=planet.id, author_id=author.id, title=f"Scheduled {i}",
                  body=f"Body {i} #series", state=DraftState.SCHEDULED, publish_at=due_at)
        )  # fmt: skip
    db.session.commit()


def test_sweeps_racing_publish_each_draft_once(app, make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, slug="moon")
    guest = make.user(name="Guest")
    make.member(planet, guest, role=Role.GUEST)
    now = utcnow()
    _schedule(planet, owner, DRAFTS // 2, now - timedelta(minutes=1))
    _schedule(planet, guest, DRAFTS // 2, now - timedelta(seconds=5))
    not_yet = Draft(planet_id=planet.id, author_id=owner.id, body="Later",
                    state=DraftState.SCHEDULED, publish_at=now + timedelta(hours=1))  # fmt: skip
    db.session.add(not_yet)
    db.session.commit()
    not_yet_id, planet_id = not_yet.id, planet.id
    dispatched: list[tuple[str, int]] = []
    lock = threading.Lock()

    def dispatch(job):
        with lock:
            dispatched.append((job.name, job.kwargs["topic_id"]))

    app.extensions["planet_dispatcher"] = dispatch
    try:
        outcomes = race(app, lambda: str(publish_due(now)["published"]), THREADS)
    finally:
        app.extensions.pop("planet_dispatcher", None)
    db.session.remove()
    assert sum(int(n) for n in outcomes) == DRAFTS
    assert db.session.scalar(select(func.count()).select_from(Topic)) == DRAFTS
    rows = db.session.execute(select(Draft.state, Draft.topic_id).where(Draft.body != "Later"))
    states, topic_ids = zip(*rows.all(), strict=True)
    assert set(states) == {DraftState.PUBLISHED} and len(set(topic_ids)) == DRAFTS
    assert db.session.get(Draft, not_yet_id).state is DraftState.SCHEDULED
    created = sorted(t for name, t in dispatched if name == "notifications.topic_created")
    assert created == sorted(topic_ids)  # one notification job per topic, none twice
    # the counters the topics entered with (SQL increments) add up across the threads
    tag = db.session.scalar(select(Hashtag).where(Hashtag.name == "series"))
    assert tag.topic_count == DRAFTS
    assert db.session.get(Planet, planet_id).topic_count == DRAFTS


def test_a_second_sweep_after_the_first_publishes_nothing(app, make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, slug="moon")
    now = utcnow()
    _schedule(planet, owner, 3, now - timedelta(minutes=1))
    assert publish_due(now)["published"] == 3
    assert publish_due(now + timedelta(minutes=1))["published"] == 0
    assert db.session.scalar(select(func.count()).select_from(Topic)) == 3
