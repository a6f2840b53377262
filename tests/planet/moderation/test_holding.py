"""Sensitive words hold members' posts, questions and comments for review (planet/moderation):
through each publishing field's real form route (the fields the XSS test walks that members
publish with), the held text is nobody's content until approved: not in the feed, the topic
page, search or another member's view; its author sees it as awaiting review; approving
publishes it once as its author; rejecting tells them why; every action is in the audit list."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from planet.content.models import Comment, Topic
from planet.extensions import db
from planet.moderation import services
from planet.moderation.models import AuditEntry, HeldPost, HeldStatus
from planet.notifications.models import Kind, Notification
from planet.planets.models import PostingPolicy, Role
from tests.conftest import login
from tests.planet.test_xss import FIELDS

WORD = "Blocked.*(Word"  # regex characters: matched as plain text
TEXT = "Please look at this blocked.*(word offer"


@pytest.fixture
def world(app, make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, posting_policy=PostingPolicy.MEMBERS)
    member = make.user(name="Member")
    other = make.user(name="Other")
    make.member(planet, member)
    make.member(planet, other)
    topic = make.topic(planet, owner, "An open topic", title="Open")
    services.set_words(planet, owner, f"{WORD}\n  \n{WORD.upper()}\nsecond phrase")
    db.session.commit()
    return planet, owner, member, other, topic


def _post(client, planet, field, topic, owner):
    if field == "topic_title":
        return client.post(f"/p/{planet.slug}/new", data={"title": TEXT, "body": "Hello"})
    if field == "topic_body":
        return client.post(f"/p/{planet.slug}/new", data={"title": "", "body": TEXT})
    if field == "question":
        return client.post(f"/p/{planet.slug}/ask", data={"addressee": owner.id, "body": TEXT})
    return client.post(f"/p/{planet.slug}/t/{topic.id}/comments", data={"body": TEXT})


# The publishing fields of the XSS walk that members write in a planet's content.
HELD_FIELDS = ["topic_title", "topic_body", "question", "comment"]


def test_the_walk_covers_the_xss_fields_members_publish_with():
    assert set(HELD_FIELDS) <= set(FIELDS)


def _visible(client, planet, topic) -> str:
    pages = ["", f"t/{topic.id}", "questions?show=waiting", "search?q=offer"]
    return "".join(client.get(f"/p/{planet.slug}/{p}").get_data(as_text=True) for p in pages)


@pytest.mark.parametrize("field", HELD_FIELDS)
def test_a_matching_submission_is_held_not_published(app, make, world, field):
    planet, owner, member, other, topic = world
    client = app.test_client()
    login(client, member)
    topics_before = db.session.scalar(select(func.count(Topic.id)))
    response = _post(client, planet, field, topic, owner)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/p/{planet.slug}/moderation/mine")
    assert db.session.scalar(select(func.count(Topic.id))) == topics_before
    assert db.session.scalar(select(func.count(Comment.id))) == 0
    [held] = db.session.scalars(select(HeldPost)).all()
    assert held.status is HeldStatus.HELD and held.word == WORD.casefold()

    mine = client.get(f"/p/{planet.slug}/moderation/mine").get_data(as_text=True)
    assert "blocked.*(word" in mine and 'data-status="held"' in mine
    other_client = app.test_client()
    login(other_client, other)
    assert "blocked.*(word" not in _visible(other_client, planet, topic)
    assert "blocked.*(word" not in _visible(client, planet, topic)  # not content, even for them

    owner_client = app.test_client()
    login(owner_client, owner)
    queue = owner_client.get(f"/p/{planet.slug}/moderation/").get_data(as_text=True)
    assert "blocked.*(word" in queue
    assert owner_client.post(f"/p/{planet.slug}/moderation/{held.id}/approve").status_code == 302
    assert owner_client.post(f"/p/{planet.slug}/moderation/{held.id}/approve").status_code == 409
    db.session.expire_all()
    assert db.session.get(HeldPost, held.id).status is HeldStatus.APPROVED
    if field == "comment":
        [comment] = db.session.scalars(select(Comment)).all()
        assert comment.author_id == member.id and "blocked.*(word" in comment.body
    else:
        created = db.session.get(Topic, db.session.get(HeldPost, held.id).created_ref)
        assert created.author_id == member.id
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["words_changed", "held_approved"]


def test_staff_are_not_held_and_clean_text_is_not_held(app, world):
    planet, owner, member, _other, topic = world
    client = app.test_client()
    login(client, owner)
    assert client.post(f"/p/{planet.slug}/new", data={"title": "", "body": TEXT}).status_code == 302
    login(client, member)
    ok = client.post(f"/p/{planet.slug}/t/{topic.id}/comments", data={"body": "All fine"})
    assert ok.status_code == 302 and "moderation" not in ok.headers["Location"]
    assert db.session.scalar(select(func.count(HeldPost.id))) == 0


def test_a_rejection_tells_the_author_why(app, world):
    planet, owner, member, _other, topic = world
    client = app.test_client()
    login(client, member)
    _post(client, planet, "comment", topic, owner)
    held = db.session.scalar(select(HeldPost))
    login(client, owner)
    url = f"/p/{planet.slug}/moderation/{held.id}/reject"
    assert client.post(url, data={"reason": ""}).status_code == 400
    assert client.post(url, data={"reason": "Spam, sorry"}).status_code == 302
    told = db.session.scalar(
        select(Notification).where(
            Notification.user_id == member.id, Notification.kind == Kind.POST_REJECTED
        )
    )
    assert told is not None and "Spam, sorry" in told.data
    assert db.session.scalar(select(func.count(Comment.id))) == 0


@pytest.mark.parametrize(
    ("words", "status"),
    [("x" * 51, 400), ("\n".join(f"w{n}" for n in range(501)), 400), ("", 302)],
    ids=["long-word", "too-many", "empty-list"],
)
def test_bad_word_lists_are_refused_whole(app, world, words, status):
    planet, owner, *_ = world
    client = app.test_client()
    login(client, owner)
    before = services.planet_words(planet)
    assert (
        client.post(f"/p/{planet.slug}/moderation/words", data={"words": words}).status_code
        == status
    )
    db.session.expire_all()
    assert services.planet_words(planet) == ([] if status == 302 else before)


def test_members_and_admins_see_what_they_may(app, make, world):
    planet, _owner, member, *_ = world
    admin = make.user()
    make.member(planet, admin, role=Role.ADMIN)
    client = app.test_client()
    login(client, member)
    assert client.get(f"/p/{planet.slug}/moderation/").status_code == 403
    assert client.get(f"/p/{planet.slug}/moderation/audit").status_code == 403
    login(client, admin)
    assert client.get(f"/p/{planet.slug}/moderation/").status_code == 200
    assert client.get(f"/p/{planet.slug}/moderation/audit").status_code == 403  # the owner's


@pytest.mark.postgres
def test_two_moderators_approving_at_once_publish_once(app, make, world):
    planet, owner, member, _other, topic = world
    client = app.test_client()
    login(client, member)
    _post(client, planet, "topic_body", topic, owner)
    held_id = db.session.scalar(select(HeldPost.id))
    admin = make.user()
    make.member(planet, admin, role=Role.ADMIN)
    db.session.commit()
    member_id = member.id
    clients = []
    for user in (owner, admin):
        c = app.test_client()
        login(c, user)
        clients.append(c)
    barrier = threading.Barrier(2)
    url = f"/p/{planet.slug}/moderation/{held_id}/approve"

    def approve(index):
        barrier.wait()
        return clients[index].post(url).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(approve, range(2)))
    db.session.remove()
    assert sorted(statuses) == [302, 409]
    assert db.session.scalar(select(func.count(Topic.id)).where(Topic.author_id == member_id)) == 1
