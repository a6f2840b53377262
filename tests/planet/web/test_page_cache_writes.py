"""Every write a reading page shows changes what the next reader sees at once, in every process:
the database bumps the planet's content_version in the writing transaction
(planet/planets/content_version.py), and the page cache keys pages with it. Each case writes
the way its feature does (through the app where a route exists, else the row), then a reader
whose page was a cache hit reads again: a miss, with the change on it. Runs on SQLite and on
PostgreSQL (deferred triggers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from planet.accounts.models import User
from planet.content.models import Answer, Comment, Like, Topic
from planet.dbutil import READ_ONLY_DEFAULT
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, Planet, Role
from planet.web import pagecache
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.postgres


@pytest.fixture
def site(app):
    owner = factories.user(name="Owner")
    planet = factories.planet(owner, slug="orbit")
    writer = factories.user(name="Writer")
    factories.member(planet, writer)
    reader = factories.user(name="Reader")
    factories.member(planet, reader)
    topic = factories.topic(planet, owner, "First light", title="First light")
    question = factories.question(planet, writer, owner, body="Why orbits?")
    comment = factories.comment(topic, writer, "Nice one")
    db.session.commit()
    client = app.test_client()
    login(client, reader)
    return {
        "planet": planet.id, "owner": owner.id, "writer": writer.id, "topic": topic.id,
        "question": question.id, "comment": comment.id, "client": client,
    }  # fmt: skip


def _read(site, path: str):
    response = site["client"].get(f"/p/orbit/{path}")
    assert response.status_code == 200
    return response.headers[pagecache.HEADER], response.get_data(as_text=True)


def _warm(site, path: str) -> None:
    _read(site, path)
    assert _read(site, path)[0] == "hit"


def _rename_writer(site):
    db.session.get(User, site["writer"]).display_name = "Renamed Writer"
    return "Renamed Writer"


def _avatar(site):
    db.session.get(User, site["writer"]).avatar_path = "avatars/new-face.png"
    return "new-face.png"


def _new_topic(site):
    factories.topic(db.session.get(Planet, site["planet"]), db.session.get(User, site["owner"]),
                    "Second light")  # fmt: skip
    return "Second light"


def _answer(site):
    answer = Answer(topic_id=site["question"], author_id=site["owner"], body="Gravity.",
                    body_html="<p>Gravity.</p>", created_at=utcnow())  # fmt: skip
    db.session.add(answer)
    question = db.session.get(Topic, site["question"])
    question.answered_at = question.feed_at = utcnow()
    question.in_feed = True  # an answered question joins the feed, as the answer service does
    return "Gravity."


def _edit_topic(site):
    topic = db.session.get(Topic, site["topic"])
    topic.title = "First light, revised"
    topic.body_html = "<p>Seen again at dawn.</p>"
    return "Seen again at dawn."


def _rename_owner(site):
    db.session.get(User, site["owner"]).display_name = "Renamed Owner"
    return "Renamed Owner"


def _comment(site):
    factories.comment(db.session.get(Topic, site["topic"]), db.session.get(User, site["owner"]),
                      "A second comment")  # fmt: skip
    return "A second comment"


def _like(site):
    like = Like(user_id=site["owner"], comment_id=site["comment"], planet_id=site["planet"])
    db.session.add(like)
    db.session.get(Comment, site["comment"]).like_count += 1
    return None


def _pin(site):
    db.session.get(Topic, site["topic"]).pinned_at = utcnow()
    return None


def _essence(site):
    db.session.get(Topic, site["topic"]).is_essence = True
    return None


def _delete_comment(site):
    db.session.get(Comment, site["comment"]).deleted_at = utcnow()
    return None


def _settings(site):
    db.session.get(Planet, site["planet"]).name = "Renamed Orbit"
    return "Renamed Orbit"


def _role(site):
    membership = db.session.scalar(select(Membership).where(Membership.user_id == site["writer"]))
    membership.role = Role.ADMIN
    return None


def _expiry(site):
    membership = db.session.scalar(select(Membership).where(Membership.user_id == site["writer"]))
    membership.expires_at = utcnow() + timedelta(days=30)
    return None


WRITES = {
    "member name": (_rename_writer, "t/{topic}"),
    "member avatar": (_avatar, "t/{topic}"),
    "new topic": (_new_topic, ""),
    "answer": (_answer, "?filter=qa"),
    "topic edited": (_edit_topic, "t/{topic}"),
    "topic author renamed": (_rename_owner, "t/{topic}"),
    "comment": (_comment, "t/{topic}"),
    "like": (_like, "t/{topic}"),
    "pin": (_pin, ""),
    "essence": (_essence, ""),
    "deleted comment": (_delete_comment, "t/{topic}"),
    "planet settings": (_settings, ""),
    "role change": (_role, "t/{topic}"),
    "membership change": (_expiry, ""),
}


@pytest.mark.parametrize("write", WRITES)
def test_a_write_is_on_the_next_page(site, write):
    change, path = WRITES[write]
    path = path.format(topic=site["topic"], question=site["question"])
    _warm(site, path)
    before = db.session.get(Planet, site["planet"]).content_version
    shown = change(site)
    db.session.commit()
    assert db.session.get(Planet, site["planet"]).content_version > before
    outcome, page = _read(site, path)
    assert outcome == "miss"
    if shown is not None:
        assert shown in page


def test_a_comment_through_the_app_is_on_the_next_page(app, site):
    path = f"t/{site['topic']}"
    _warm(site, path)
    owner = app.test_client()
    login(owner, db.session.get(User, site["owner"]))
    page = owner.get(f"/p/orbit/{path}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    posted = owner.post(
        f"/p/orbit/t/{site['topic']}/comments", data={"csrf_token": token, "body": "Posted live"}
    )
    assert posted.status_code in (302, 303), posted.status_code
    outcome, page = _read(site, path)
    assert outcome == "miss" and "Posted live" in page


def test_writes_elsewhere_leave_the_page_cached(site):
    """Only what a reading page shows bumps the version: a notification does not."""
    from planet.notifications.models import Notification

    _warm(site, "")
    db.session.add(Notification(user_id=site["writer"], planet_id=site["planet"],
                                kind=next(iter(Notification.kind.type.enum_class)),
                                dedupe_key="page-cache-test", created_at=utcnow()))  # fmt: skip
    db.session.commit()
    assert _read(site, "")[0] == "hit"


ONCE_PER_CONNECTION = {READ_ONLY_DEFAULT}
"""Sent the first time a pooled connection serves a safe request, not per request."""


def test_a_hit_is_one_statement_whatever_the_page_holds(app, site):
    """On a hit the view does not run: one statement loads the session, the user, the planet
    with its content_version, the membership and whether the reader liked any of the page's
    items (planet/content/views/common.py:_reader_statement)."""
    from tests.conftest import page_queries

    client = site["client"]
    costs = []
    topic_page = f"/p/orbit/t/{site['topic']}"
    for more in (0, 15):
        for _i in range(more):
            _new_topic(site)
        db.session.commit()
        for path in ("/p/orbit/", topic_page):
            client.get(path)  # a miss: rendered and stored
            body, statements = page_queries(app, client, path)
            assert "First light" in body
            costs.append(len([s for s in statements if s not in ONCE_PER_CONNECTION]))
    assert costs == [1, 1, 1, 1], costs  # the topic's card is kept under the planet's version


def test_a_reader_who_liked_an_item_gets_their_own_page(app, site):
    """Another member's stored page shows the item unliked: the reader who liked it is not
    served that page but their own (the like state is never filled into a shared page)."""
    path = f"/p/orbit/t/{site['topic']}"
    reader = db.session.scalar(select(User).where(User.display_name == "Reader"))
    db.session.add(Like(user_id=reader.id, topic_id=site["topic"], planet_id=site["planet"]))
    other = factories.user(name="Other")
    factories.member(db.session.get(Planet, site["planet"]), other)
    db.session.commit()
    other_client = app.test_client()
    login(other_client, other)
    assert other_client.get(path).headers[pagecache.HEADER] == "miss"
    assert 'aria-pressed="true"' not in other_client.get(path).get_data(as_text=True)
    response = site["client"].get(path)
    assert response.headers[pagecache.HEADER] == "bypass"
    assert 'aria-pressed="true"' in response.get_data(as_text=True)
