"""Sensitive words hold members' posts, questions and comments for review (planet/moderation):
through each publishing field's real form route (the fields the XSS test walks that members
publish with), the held text is nobody's content until approved: not in the feed, the topic
page, search or another member's view; its author sees it as awaiting review; approving
publishes it once as its author; rejecting tells them why; every action is in the audit list."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from planet import policy
from planet.content.library.models import PlanetFile
from planet.content.models import Comment, Topic
from planet.engagement.checkins.models import CheckIn
from planet.engagement.homework.models import Submission
from planet.engagement.introductions.models import Introduction
from planet.extensions import db
from planet.moderation import services
from planet.moderation.models import AuditEntry, HeldPost, HeldStatus
from planet.notifications.models import Kind, Notification
from planet.planets.models import PostingPolicy, Role
from planet.policy import Action
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


def _staff_post(app, owner, path, data) -> int:
    client = app.test_client()
    login(client, owner)
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _challenge(app, planet, owner) -> int:
    data = {"title": "Run", "rules": "", "start_date": date.today().isoformat(),
            "length_days": "21", "late_allowed": "y"}  # fmt: skip
    return _staff_post(app, owner, f"/p/{planet.slug}/challenges/new", data)


def _assignment(app, planet, owner) -> int:
    due = (date.today() + timedelta(days=10)).isoformat()
    data = {"title": "HW", "body": "Write", "due_date": due, "due_time": "20:00",
            "late_days": "0"}  # fmt: skip
    return _staff_post(app, owner, f"/p/{planet.slug}/homework/new", data)


INTRO = {"who": "Hello", "work": "", "offer": "", "seeking": "", "city": "", "tags": "",
         "contact": ""}  # fmt: skip


def _post(app, client, planet, field, topic, owner):
    """Submit TEXT through the field's own form route, as the client's user; the pages where
    it would show once published."""
    base = f"/p/{planet.slug}"
    if field == "topic_title":
        return client.post(f"{base}/new", data={"title": TEXT, "body": "Hello"}), [""]
    if field == "topic_body":
        return client.post(f"{base}/new", data={"title": "", "body": TEXT}), [""]
    if field == "question":
        data = {"addressee": owner.id, "body": TEXT}
        return client.post(f"{base}/ask", data=data), ["questions?show=waiting"]
    if field == "comment":
        return client.post(f"{base}/t/{topic.id}/comments", data={"body": TEXT}), [f"t/{topic.id}"]
    if field.startswith("intro_"):
        data = {**INTRO, field.removeprefix("intro_"): TEXT}
        return client.post(f"{base}/introduction", data=data), ["directory"]
    if field == "checkin":
        cid = _challenge(app, planet, owner)
        response = client.post(f"{base}/challenges/{cid}/checkin", data={"body": TEXT})
        return response, [f"challenges/{cid}"]
    if field == "file_name":
        pdf = BytesIO()
        Image.new("RGB", (20, 20)).save(pdf, "PDF")
        data = {"file": (BytesIO(pdf.getvalue()), f"{TEXT}.pdf")}
        response = client.post(f"{base}/library", data=data, content_type="multipart/form-data")
        return response, ["library"]
    assert field == "homework_submission"
    aid = _assignment(app, planet, owner)
    return client.post(f"{base}/homework/{aid}/submit", data={"body": TEXT}), [f"homework/{aid}"]


# Every field of the XSS walk, by what sensitive words do to it. Members publish with HELD; only
# staff (never held: SKIP_REVIEW) write STAFF_ONLY, checked below through the policy; the rest
# publish nothing to a planet's members.
HELD_FIELDS = [
    "topic_title", "topic_body", "question", "comment", "intro_who", "intro_city",
    "intro_tags", "intro_contact", "checkin", "homework_submission", "file_name",
]  # fmt: skip
STAFF_ONLY = {
    "answer": Action.ANSWER_QUESTION,
    "planet_name": Action.EDIT_SETTINGS,
    "planet_description": Action.EDIT_SETTINGS,
    "planet_rules": Action.EDIT_SETTINGS,
    "planet_tags": Action.EDIT_SETTINGS,
    "planet_category": Action.EDIT_SETTINGS,
    "challenge_title": Action.MANAGE_CHALLENGES,
    "homework_title": Action.POST_HOMEWORK,
    "homework_body": Action.POST_HOMEWORK,
    "poll_question": Action.CREATE_POLL,
    "poll_option": Action.CREATE_POLL,
    "event_title": Action.MANAGE_EVENTS,
    "event_description": Action.MANAGE_EVENTS,
    "event_location": Action.MANAGE_EVENTS,
    "coupon_code": Action.MANAGE_MONEY,
}
NOT_PUBLISHED = {
    "display_name": "the account's, platform-wide: not a planet's content",
    "bio": "the account's, platform-wide: not a planet's content",
    "message": "a private message between two people, published to nobody",
    "report_reason": "read by the planet's moderators only",
    "search_query": "never stored",
}


def test_the_walk_covers_every_xss_field():
    assert sorted([*HELD_FIELDS, *STAFF_ONLY, *NOT_PUBLISHED]) == sorted(FIELDS)


def test_staff_only_fields_are_refused_to_members(world):
    planet, owner, member, *_ = world
    for field, action in STAFF_ONLY.items():
        assert not policy.may(member, action, planet), field
        assert policy.may(owner, action, planet), field


def _visible(client, planet, pages) -> str:
    pages = [*pages, "", "search?q=offer"]
    return "".join(client.get(f"/p/{planet.slug}/{p}").get_data(as_text=True) for p in pages)


CREATED = {
    "topic": Topic, "question": Topic, "comment": Comment, "introduction": Introduction,
    "check_in": CheckIn, "submission": Submission, "file": PlanetFile,
}  # fmt: skip


def _published(model) -> int:
    """How many rows of `model` are content (a held file's row exists, unlisted)."""
    statement = select(func.count(model.id))
    if model is PlanetFile:
        statement = statement.where(PlanetFile.listed.is_(True))
    return db.session.scalar(statement)


@pytest.mark.parametrize("field", HELD_FIELDS)
def test_a_matching_submission_is_held_not_published(app, make, world, field):
    planet, owner, member, other, topic = world
    client = app.test_client()
    login(client, member)
    counts = {model: _published(model) for model in CREATED.values()}
    response, pages = _post(app, client, planet, field, topic, owner)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith(f"/p/{planet.slug}/moderation/mine")
    db.session.expire_all()
    for model, before in counts.items():
        assert _published(model) == before, model
    [held] = db.session.scalars(select(HeldPost)).all()
    assert held.status is HeldStatus.HELD and held.word == WORD.casefold()

    mine = client.get(f"/p/{planet.slug}/moderation/mine").get_data(as_text=True)
    assert "blocked.*(word" in mine and 'data-status="held"' in mine
    other_client = app.test_client()
    login(other_client, other)
    assert "blocked.*(word" not in _visible(other_client, planet, pages)
    assert "blocked.*(word" not in _visible(client, planet, pages)  # not content, even for them

    owner_client = app.test_client()
    login(owner_client, owner)
    assert "blocked.*(word" not in _visible(owner_client, planet, pages)
    queue = owner_client.get(f"/p/{planet.slug}/moderation/").get_data(as_text=True)
    assert "blocked.*(word" in queue
    assert owner_client.post(f"/p/{planet.slug}/moderation/{held.id}/approve").status_code == 302
    assert owner_client.post(f"/p/{planet.slug}/moderation/{held.id}/approve").status_code == 409
    db.session.expire_all()
    approved = db.session.get(HeldPost, held.id)
    assert approved.status is HeldStatus.APPROVED
    created = db.session.get(CREATED[approved.kind.value], approved.created_ref)
    author = getattr(created, "author_id", None) or getattr(created, "user_id", None)
    assert author == member.id
    if field != "intro_tags":  # tags are parsed into separate words
        assert "blocked.*(word" in _visible(owner_client, planet, pages)
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
    _post(app, client, planet, "comment", topic, owner)
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
    _post(app, client, planet, "topic_body", topic, owner)
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
