"""Paid content never leaks (RELIABILITY 17-19, 24).

Canaries sit in a paid, non-essence topic (title and body), an answer, a comment and an image
attachment (file name and bytes). No non-member (visitor, signed-in stranger, expired, refunded,
banned, removed, left) may see any of them through any GET route of the app (walked from the
URL map, as HTML and as JSON), through guessed attachment keys, or in a digest email. Losing
access takes effect on the next request; gated answers are `private, no-store`; the owner of
planet A can neither see nor change planet B.
"""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from flask import current_app
from sqlalchemy import func, select

from planet.content.models import Comment, Hashtag, Topic
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet
from tests.conftest import login
from tests.planet.access_helpers import (
    ANSWER_CANARY,
    COLUMN_CANARY,
    COLUMN_TITLE,
    COMMENT_CANARY,
    DRAFT_CANARY,
    FILE_BODY_CANARY,
    FILE_NAME_CANARY,
    LESSON_TITLE,
    OPEN_QUESTION_CANARY,
    PRIVATE_ANSWER_CANARY,
    QUESTION_CANARY,
    SCHEDULED_ANNOUNCEMENT_CANARY,
    SCHEDULED_CANARY,
    TAG,
    TITLE_CANARY,
    TOPIC_CANARY,
    SecurityWorld,
    Snapshot,
    canary_png,
    module_app,
    refused_status,
)

TEXT_CANARIES = (
    TOPIC_CANARY,
    TITLE_CANARY,
    ANSWER_CANARY,
    QUESTION_CANARY,
    OPEN_QUESTION_CANARY,
    COMMENT_CANARY,
    FILE_NAME_CANARY,
    FILE_BODY_CANARY,
    PRIVATE_ANSWER_CANARY,
    COLUMN_CANARY,
    DRAFT_CANARY,
    SCHEDULED_CANARY,
    SCHEDULED_ANNOUNCEMENT_CANARY,
)
UNPUBLISHED = (DRAFT_CANARY, SCHEDULED_CANARY, SCHEDULED_ANNOUNCEMENT_CANARY)
LEAVERS = ("removed", "left")
NON_MEMBERS = ("anonymous", "outsider", "expired", "refunded", "banned", *LEAVERS)
JSON_WALKERS = ("anonymous", "outsider", "expired")  # the walk again asking for JSON
# Non-members are refused before any key lookup (the same path for every guess); a member of
# another planet reaches the lookup, so they guess the whole 1-1000 range.
GUESSES = {"member_of_b": 1000, "outsider": 300, "anonymous": 100, "expired": 100}
ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _leaks(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace")
    found = [c for c in TEXT_CANARIES if c in text]
    if canary_png() in data or FILE_BODY_CANARY.encode() in data:
        found.append("attachment bytes")
    return found


class Worlds:
    def __init__(self, app):
        self.app = app
        self.a = SecurityWorld(app, slug="moon")
        self.a.add_paid_questions()  # a private answer (付费提问) among the canaries
        # removed and left: were members, are not any more
        for who, status in (("removed", MembershipStatus.REMOVED), ("left", MembershipStatus.LEFT)):
            self.a._add(self.a.planet, who, status=status)
        self.b = SecurityWorld(app, slug="mars")
        self.b.add_paid_questions()
        self.a.add_column()
        self.b.add_column()
        self.a.add_drafts()
        self.b.add_drafts()
        self.a.sign_in_everyone()  # before the snapshot (see SecurityWorld.sign_in_everyone)
        for who in LEAVERS:
            self.a.client(who)
        self.b.client("owner")
        self.b.client("member")
        self.snapshot = Snapshot()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    with module_app(tmp_path_factory, "leaks") as app:
        yield Worlds(app)


@pytest.fixture
def fresh(worlds):
    worlds.snapshot.restore()
    return worlds


def _values(world, variant: int = 0) -> dict:
    ids = world.ids
    return {
        "slug": world.slug,
        "topic_id": (ids["topic"], ids["question"], ids["open_question"], ids["private_question"])[
            variant % 4
        ],
        "comment_id": ids["comment"],
        "column_id": ids["column"],
        "draft_id": ids["draft"],
        "user_id": world.uid("owner") if variant % 2 == 0 else world.uid("author"),
        "membership_id": world.mid("author"),
        "mid": world.mid("author"),
        "key": world.attachment_key,
        "file_id": ids["file"],
        "name": TAG,
        "table": "members",
        "token": "x" * 30,
        "report_id": 1,
        "payment_id": 1,
        "cid": 1,
        "eid": 1,
        "aid": 1,
        "pid": 1,
        "lid": 1,
        "sid": 1,
        "export_id": 1,
        "import_id": 1,
        "campaign_id": 1,
        "held_id": 1,
        "application_id": 1,
    }


def _urls(app, world, methods=("GET",), only_slug: bool = False):
    """(endpoint, url) for every rule with one of `methods`, arguments filled from `world`."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not (set(methods) & rule.methods):
            continue
        if only_slug and "slug" not in rule.arguments:
            continue
        for variant in range(
            4 if "topic_id" in rule.arguments or "user_id" in rule.arguments else 1
        ):
            values = _values(world, variant)
            missing = [
                a for a in rule.arguments if a not in values and a not in (rule.defaults or {})
            ]
            assert not missing, f"no value for {missing} in {rule.rule}: extend _values()"
            path = ARG.sub(lambda m, v=values: str(v[m.group(1)]), rule.rule)
            if rule.endpoint == "content.search":
                path += "?q=Canary7731"  # a part of every canary: the page never echoes a whole one
            urls.append((rule.endpoint, path))
    return sorted(set(urls))


@pytest.mark.parametrize("who", NON_MEMBERS)
def test_no_canary_reaches_a_non_member_by_any_get_route(fresh, who):
    world = fresh.a
    client = world.client(who)
    seen = 0
    for _endpoint, url in _urls(fresh.app, world):
        accepts = ("text/html", "application/json") if who in JSON_WALKERS else ("text/html",)
        for accept in accepts:
            response = client.get(url, headers={"Accept": accept})
            assert response.status_code < 500, (who, url, response.status_code)
            assert not _leaks(response.get_data()), (who, url, accept, _leaks(response.get_data()))
            seen += 1
    assert seen > 80


IMAGE_ROUTES = ("content.attachment", "engagement.checkin_image", "content.download_file")


@pytest.mark.parametrize("who", ("anonymous", "outsider", "expired", "banned", "removed"))
def test_watermarked_images_reach_no_non_member(fresh, who):
    """With leak protection's watermark on, images are re-drawn per reader: the canary bytes
    are gone from what a member gets, so a leak is any image a non-member is served."""
    world = fresh.a
    world.set(watermark=True)
    client = world.client(who)
    for endpoint, url in _urls(fresh.app, world):
        response = client.get(url)
        assert response.status_code < 500, (who, url, response.status_code)
        assert not _leaks(response.get_data()), (who, url)
        if endpoint in IMAGE_ROUTES:
            assert not response.mimetype.startswith("image/"), (who, url)
    # The control: a member is served the image, marked for them, not as stored.
    marked = world.client("member").get(world.url(f"files/{world.attachment_key}"))
    assert marked.status_code == 200 and marked.mimetype.startswith("image/")
    assert canary_png() not in marked.data


# Active members who neither asked nor were asked the private question, nor paid to peek.
NOT_PRIVY = ("admin", "guest", "author", "trial", "grace")


@pytest.mark.parametrize("who", NOT_PRIVY)
def test_a_private_answer_reaches_only_its_asker_and_the_one_asked(fresh, who):
    """A paid question's private answer: not on the timeline, the topic page, the Q&A lists,
    search, tags, authors' pages or any JSON, for a member who did not pay to peek."""
    world = fresh.a
    client = world.client(who)
    seen = 0
    for _endpoint, url in _urls(fresh.app, world):
        response = client.get(url)
        assert response.status_code < 500, (who, url, response.status_code)
        assert PRIVATE_ANSWER_CANARY.encode() not in response.get_data(), (who, url)
        seen += 1
    assert seen > 80
    # The control: the asker and the one asked read it on the question's page.
    page = world.url(f"t/{world.ids['private_question']}")
    for privy in ("member", "owner"):
        assert PRIVATE_ANSWER_CANARY in world.client(privy).get(page).get_data(as_text=True)


def test_the_walk_would_see_a_leak(fresh):
    """Positive control: a member sees every canary on the pages the walk visits."""
    world = fresh.a
    found = set()
    for _endpoint, url in _urls(fresh.app, world):
        found.update(_leaks(world.client("member").get(url).get_data()))
    assert {TOPIC_CANARY, TITLE_CANARY, ANSWER_CANARY, COMMENT_CANARY} <= found
    assert "attachment bytes" in found
    assert OPEN_QUESTION_CANARY in found  # the member asked it


def test_only_essence_previews_reach_the_landing_page(fresh):
    """The landing page previews essence topics (a product feature); a paid topic that is not
    essence stays off it, for every visitor."""
    world = fresh.a
    for who in NON_MEMBERS:
        body = world.client(who).get(world.url("about")).get_data()
        assert not _leaks(body), who
        meta = re.findall(rb"<meta[^>]+>", body)
        assert not any(_leaks(m) for m in meta)
    world.client("owner").post(world.url(f"t/{world.ids['topic']}/feature"),
                               data={"what": "essence", "on": "1"})  # fmt: skip
    landing = world.client("anonymous").get(world.url("about")).get_data(as_text=True)
    assert TITLE_CANARY in landing or TOPIC_CANARY in landing  # the control: previews work
    assert COMMENT_CANARY not in landing and FILE_BODY_CANARY not in landing


# Who may see the owner's unpublished writing: the draft and the scheduled topic are the
# owner's alone; a scheduled announcement also the admins (who moderate what members see).
SEES_UNPUBLISHED = {
    DRAFT_CANARY: {"owner"},
    SCHEDULED_CANARY: {"owner"},
    SCHEDULED_ANNOUNCEMENT_CANARY: {"owner", "admin"},
}


@pytest.mark.parametrize("who", ["admin", "guest", "member", "trial", "grace", "author"])
def test_unpublished_writing_reaches_nobody_but_its_author_by_any_get_route(fresh, who):
    """Drafts and scheduled posts are in no timeline, search, tag or author page, count,
    notification or feed: members and staff walk every GET route of the app."""
    world = fresh.a
    client = world.client(who)
    seen = 0
    for _endpoint, url in _urls(fresh.app, world):
        if url.endswith("/search"):
            url += "?q=QzCanary7731"
        body = client.get(url).get_data().decode("utf-8", "replace")
        for canary, allowed in SEES_UNPUBLISHED.items():
            assert who in allowed or canary not in body, (who, url, canary)
        seen += 1
    assert seen > 80


def test_unpublished_writing_is_counted_nowhere(fresh):
    world = fresh.a
    topics = db.session.scalar(
        select(func.count()).select_from(Topic).where(Topic.planet_id == world.planet_id)
    )
    # The canary topic, two questions, the column's lesson and three paid questions: no draft.
    assert topics == 7
    assert world.planet.topic_count == topics
    tag = db.session.scalar(select(Hashtag).where(Hashtag.planet_id == world.planet_id,
                                                  Hashtag.name == TAG))  # fmt: skip
    assert tag.topic_count == 1  # the published canary topic; not the two drafts with the tag


def test_the_unpublished_walk_would_see_a_leak(fresh):
    """Positive control: the author sees every one on their drafts page, an admin the
    scheduled announcement."""
    world = fresh.a
    mine = world.client("owner").get(world.url("drafts")).get_data(as_text=True)
    assert all(canary in mine for canary in SEES_UNPUBLISHED)
    admin = world.client("admin").get(world.url("drafts")).get_data(as_text=True)
    assert SCHEDULED_ANNOUNCEMENT_CANARY in admin and DRAFT_CANARY not in admin


def test_visitors_see_a_columns_contents_not_its_text(fresh):
    """The landing page lists a column's title and its topics' titles (a product feature), never
    their text; members read the text."""
    world = fresh.a
    for who in NON_MEMBERS:
        landing = world.client(who).get(world.url("about")).get_data(as_text=True)
        assert COLUMN_TITLE in landing and LESSON_TITLE in landing, who  # the control
        assert not _leaks(landing.encode()), who
    lesson = world.client("member").get(world.url(f"t/{world.ids['lesson']}"))
    assert COLUMN_CANARY in lesson.get_data(as_text=True)


@pytest.mark.parametrize("who", GUESSES)
def test_guessed_attachment_keys_leak_no_file(fresh, who):
    world = fresh.a
    client = fresh.b.client("member") if who == "member_of_b" else world.client(who)
    slugs = ("mars",) if who == "member_of_b" else ("moon",)
    for slug in slugs:
        for guess in range(1, GUESSES[who] + 1):
            response = client.get(f"/p/{slug}/files/{guess}")
            assert response.status_code in (401, 403, 404), (who, guess, response.status_code)
            assert not response.data.startswith(b"\x89PNG")
    # the real key, under another planet's address or by a non-member
    response = client.get(f"/p/{slugs[0]}/files/{world.attachment_key}")
    assert response.status_code in (401, 403, 404)
    assert not _leaks(response.get_data())


def _set(world, who, **values):
    membership = world.membership(who)
    for key, value in values.items():
        setattr(membership, key, value)
    db.session.commit()


LOSSES = {
    "expiry": lambda w: _set(w, "member", expires_at=utcnow() - timedelta(seconds=1)),
    "grace_over": lambda w: _set(w, "grace", grace_until=utcnow() - timedelta(seconds=1)),
    "refund": lambda w: _set(w, "member", status=MembershipStatus.REFUNDED),
    "removal": lambda w: w.client("owner").post(w.url(f"members/{w.mid('member')}/remove")),
    "ban": lambda w: w.client("owner").post(w.url(f"members/{w.mid('member')}/ban")),
    "leave": lambda w: w.client("member").post(w.url("leave")),
}


@pytest.mark.parametrize("how", LOSSES)
def test_losing_access_takes_effect_on_the_next_request(fresh, how):
    world = fresh.a
    who = "grace" if how == "grace_over" else "member"
    client = world.client(who)
    pages = [
        "",
        f"t/{world.ids['topic']}",
        f"files/{world.attachment_key}",
        f"search?q={TOPIC_CANARY}",
    ]
    for page in pages:
        response = client.get(world.url(page))
        assert response.status_code == 200 and _leaks(response.get_data()), page
    outcome = LOSSES[how](world)
    if outcome is not None:
        assert outcome.status_code in (302, 303), outcome.status_code
    db.session.remove()
    for page in pages:
        response = client.get(world.url(page))
        assert refused_status(response, world.slug), (how, page, response.status_code)
        assert not _leaks(response.get_data()), (how, page)


GATED_PAGES = ["", "t/{topic}", "files/{key}", "search?q=x", "tags/" + TAG, "u/{owner}",
               "questions", "members", "directory", "challenges", "homework", "polls", "events",
               "points", "income", "health", "settings", "reports"]  # fmt: skip


@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous", "expired"])
def test_gated_responses_are_private_no_store(fresh, who):
    world = fresh.a
    for page in GATED_PAGES:
        url = world.url(page.format(topic=world.ids["topic"], key=world.attachment_key,
                                    owner=world.uid("owner")))  # fmt: skip
        response = world.client(who).get(url)
        cache = response.headers.get("Cache-Control", "")
        assert "private" in cache and "no-store" in cache, (who, page, response.status_code, cache)


# ---------------------------------------------------------------- planet A's owner on planet B

VISITOR_ROUTES = {
    # open to any signed-in visitor by design: they reveal or change nothing private
    "planets.landing",
    "planets.avatar",
    "payments.checkout",
    "payments.start_checkout",
    "members.join",
    "payments.join_free",
    "payments.trial",
    "payments.gift",  # buying a year of B for someone else, like its checkout
    "messages.thread",  # a conversation with B's owner: A's owner's own messages
    "messages.mark_read",
}


def _b_state(worlds):
    db.session.remove()
    b = db.session.get(Planet, worlds.b.planet_id)
    memberships = db.session.execute(
        select(Membership.id, Membership.role, Membership.status)
        .where(Membership.planet_id == b.id)
        .order_by(Membership.id)
    ).all()
    topics = db.session.execute(
        select(Topic.id, Topic.body, Topic.deleted_at, Topic.is_essence, Topic.pinned_at,
               Topic.like_count, Topic.comment_count)
        .where(Topic.planet_id == b.id)
        .order_by(Topic.id)
    ).all()  # fmt: skip
    comments = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.planet_id == b.id)
    )
    settings = {c.name: getattr(b, c.name) for c in Planet.__table__.columns}
    settings.pop("last_activity_at", None)
    return settings, memberships, topics, comments


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_owner_of_a_gets_nothing_from_planet_b(fresh, method):
    before = _b_state(fresh)
    client = fresh.a.client("owner")
    checked = 0
    for endpoint, url in _urls(fresh.app, fresh.b, methods=(method,), only_slug=True):
        data = {"body": "from A", "confirm": "mars", "role": "admin", "what": "essence",
                "on": "1", "reason": "x", "name": "Hijacked"}  # fmt: skip
        response = client.open(url, method=method, data=data if method == "POST" else None)
        assert response.status_code < 500, (url, response.status_code)
        assert not _leaks(response.get_data()), (url, _leaks(response.get_data()))
        if endpoint in VISITOR_ROUTES:
            continue
        assert refused_status(response, "mars") or response.status_code == 400, (
            method, url, response.status_code, response.headers.get("Location"),
        )  # fmt: skip
        checked += 1
    assert checked > 20
    assert _b_state(fresh) == before


def test_owner_of_a_cannot_reach_b_objects_through_a(fresh):
    """Objects of B named under A's address: 404, nothing changes (lookup by planet)."""
    before = _b_state(fresh)
    client = fresh.a.client("owner")
    b = fresh.b
    paths = [
        f"t/{b.ids['topic']}", f"t/{b.ids['question']}", f"t/{b.ids['topic']}/edit",
        f"c/{b.ids['comment']}/edit", f"t/{b.ids['topic']}/report",
    ]  # fmt: skip
    posts = [
        (f"t/{b.ids['topic']}/delete", {}),
        (f"t/{b.ids['topic']}/feature", {"what": "pin", "on": "1"}),
        (f"t/{b.ids['topic']}/like", {}),
        (f"t/{b.ids['topic']}/comments", {"body": "x"}),
        (f"t/{b.ids['open_question']}/answer", {"body": "x"}),
        (f"c/{b.ids['comment']}/delete", {}),
        (f"members/{b.mid('member')}/remove", {}),
        (f"members/{b.mid('member')}/ban", {}),
        (f"members/{b.mid('member')}/role", {"role": "admin"}),
        (f"points/inactive/{b.mid('member')}/remove", {}),
    ]
    for path in paths:
        response = client.get(fresh.a.url(path))
        assert response.status_code == 404, (path, response.status_code)
        assert not _leaks(response.get_data())
    for path, data in posts:
        response = client.post(fresh.a.url(path), data=data)
        assert response.status_code == 404, (path, response.status_code)
    attachment = client.get(fresh.a.url(f"files/{b.attachment_key}"))
    assert attachment.status_code == 404
    assert _b_state(fresh) == before


# ---------------------------------------------------------------- JSON endpoints


def test_json_endpoints_refuse_non_members(fresh):
    world = fresh.a
    for who in NON_MEMBERS:
        client = world.client(who)
        like = client.post(world.url(f"t/{world.ids['topic']}/like"),
                           headers={"Accept": "application/json"})  # fmt: skip
        assert like.status_code in (401, 403), (who, like.status_code)
        assert like.is_json and not _leaks(like.get_data())
        upload = client.post(
            world.url("files"),
            headers={"Accept": "application/json"},
            data={"image": (BytesIO(canary_png()), "x.png")},
        )
        assert upload.status_code in (401, 403), (who, upload.status_code)
    db.session.remove()
    topic = db.session.get(Topic, world.ids["topic"])
    assert topic.like_count == 0
    member = world.client("member").post(world.url(f"t/{world.ids['topic']}/like"),
                                         headers={"Accept": "application/json"})  # fmt: skip
    assert member.status_code == 200 and member.get_json()["like_count"] == 1


# ---------------------------------------------------------------- email


def _the_week_after_the_topics(world):
    """An instant in the week after the one the world's topic went into the feed: the weekly
    digest sent then covers the topic's week. Taken from the topic's own time, not from a later
    clock reading: when a Monday 00:00 UTC (a digest week's turn) falls between making the world
    and fanning out, the digest of "the week that contains now" leaves the topic out."""
    return db.session.get(Topic, world.ids["topic"]).feed_at + timedelta(days=7)


def test_digest_email_reaches_only_members(app, smtp_catcher):
    from workers import digests

    world = SecurityWorld(app, slug="moon")
    world.add_paid_questions()
    for who, status in (("removed", MembershipStatus.REMOVED), ("left", MembershipStatus.LEFT)):
        world._add(world.planet, who, status=status)
    emails = {who: world.user(who).email for who in world.user_ids}
    digests.fan_out_weekly(_the_week_after_the_topics(world))
    member_mail = smtp_catcher.to(emails["member"])
    assert member_mail, "the control: an active member gets the digest"
    assert TITLE_CANARY in smtp_catcher.text(member_mail[0]) + smtp_catcher.html(member_mail[0])
    for message in smtp_catcher.messages:
        recipient = message["To"]
        who = next(name for name, email in emails.items() if email == recipient)
        body = smtp_catcher.text(message) + (smtp_catcher.html(message) or "")
        if who in ("expired", "refunded", "banned", "removed", "left", "outsider"):
            pytest.fail(f"{who} received a digest")
        if who != "owner" and who != "member":
            assert OPEN_QUESTION_CANARY not in body, who
            assert PRIVATE_ANSWER_CANARY not in body, who
    assert current_app.config["MAIL_SERVER"] == "127.0.0.1"
    assert not smtp_catcher.to(emails["expired"])


def test_signed_in_user_is_a_fresh_client(fresh):
    """Premise of the walk: clients hold real server-side sessions of the right people."""
    world = fresh.a
    client = world.app.test_client()
    login(client, world.user("outsider"))
    assert client.get(world.url("")).status_code == 302
    assert world.client("member").get(world.url("")).status_code == 200


def test_unpublished_writing_is_in_no_digest_or_notification_until_published(app, smtp_catcher):
    from planet.content.drafts.publish import publish_due
    from planet.notifications.models import Kind, Notification
    from workers import digests

    world = SecurityWorld(app, slug="moon")
    world.add_drafts()
    digests.fan_out_weekly(_the_week_after_the_topics(world))
    assert smtp_catcher.messages, "the control: members get this week's digest"
    for message in smtp_catcher.messages:
        body = smtp_catcher.text(message) + (smtp_catcher.html(message) or "")
        assert not [c for c in UNPUBLISHED if c in body], message["To"]

    def announced() -> set[int]:
        rows = select(Notification.user_id).where(Notification.kind == Kind.ANNOUNCEMENT)
        return set(db.session.scalars(rows))

    assert announced() == set()
    assert publish_due(utcnow() + timedelta(days=4))["published"] == 2
    db.session.remove()
    assert world.uid("member") in announced()  # at its publication, not at its writing
    assert world.uid("outsider") not in announced()
