"""Comments with one level of replies, likes (idempotent, counted), reports and moderation."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from planet.content.models import Comment, Like, Report, ReportStatus, Topic
from planet.extensions import db
from planet.models import utcnow
from tests.conftest import page_queries
from tests.planet.content.conftest import EXPECT_WRITE_DENIED, ROLES


@pytest.fixture
def topic(world, make):
    return make.topic(world.planet, world.guest, "A topic to talk about")


def _comment(world, who, topic, **data):
    data.setdefault("body", "Nice one")
    return world.client(who).post(world.url(f"t/{topic.id}/comments"), data=data)


COMMENT = {"owner": 302, "admin": 302, "guest": 302, "member": 302, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_may_comment(world, topic, who, dispatched):
    response = _comment(world, who, topic)
    assert response.status_code == COMMENT[who]
    db.session.refresh(topic)
    assert topic.comment_count == (1 if COMMENT[who] == 302 else 0)
    if COMMENT[who] == 302:
        comment = db.session.scalar(select(Comment))
        assert response.headers["Location"].endswith(f"#c{comment.id}")
        assert (
            "notifications.comment_created",
            {"comment_id": comment.id, "mentioned_user_ids": []},
        ) in dispatched


def test_comments_switched_off(world, topic):
    world.planet.comments_enabled = False
    db.session.commit()
    assert _comment(world, "owner", topic).status_code == 403
    assert _comment(world, "member", topic).status_code == 403


def test_replies_stay_one_level_deep(world, topic, dispatched):
    _comment(world, "member", topic, body="top")
    top = db.session.scalar(select(Comment))
    _comment(world, "guest", topic, body="reply @The member", parent_id=top.id)
    reply = db.session.scalar(select(Comment).where(Comment.body.startswith("reply")))
    _comment(world, "owner", topic, body="reply to reply", parent_id=reply.id)
    nested = db.session.scalar(select(Comment).where(Comment.body == "reply to reply"))
    assert reply.parent_id == top.id and nested.parent_id == top.id
    db.session.refresh(topic)
    assert topic.comment_count == 3
    page = world.client("member").get(world.url(f"t/{topic.id}")).get_data(as_text=True)
    assert page.index("top") < page.index("reply @The member") < page.index("reply to reply")
    [mentions] = [
        k["mentioned_user_ids"]
        for n, k in dispatched
        if n == "notifications.comment_created" and k.get("comment_id") == reply.id
    ]
    assert mentions == [world.member.id]


def test_bad_comment_input(world, topic, make):
    assert _comment(world, "member", topic, body="").status_code == 400
    assert _comment(world, "member", topic, body="c" * 2001).status_code == 400
    assert _comment(world, "member", topic, body="c" * 2000).status_code == 302
    assert _comment(world, "member", topic, parent_id="abc").status_code == 400
    assert _comment(world, "member", topic, parent_id="999999").status_code == 404
    other_topic = make.topic(world.planet, world.owner, "elsewhere")
    elsewhere = make.comment(other_topic, world.owner, "there")
    assert _comment(world, "member", topic, parent_id=str(elsewhere.id)).status_code == 404
    foreign_planet = make.planet(slug="venus")
    foreign = make.comment(make.topic(foreign_planet, foreign_planet.owner), foreign_planet.owner)
    assert _comment(world, "member", topic, parent_id=str(foreign.id)).status_code == 404
    for path in (f"c/{foreign.id}/edit", f"c/{foreign.id}/delete", f"c/{foreign.id}/like"):
        assert world.client("owner").post(world.url(path), data={"body": "x"}).status_code == 404
    db.session.refresh(topic)
    assert topic.comment_count == 1


def test_comment_paging_by_id(world, topic, make, app):
    app.config["PAGE_SIZE"] = 3
    for n in range(7):
        make.comment(topic, world.owner, f"comment-{n}-end")
    client = world.client("member")
    seen, url = [], world.url(f"t/{topic.id}")
    for _ in range(5):
        page = client.get(url).get_data(as_text=True)
        seen += [n for n in range(7) if f"comment-{n}-end" in page]
        if "after=" not in page:
            break
        url = page.split('class="button secondary" href="')[1].split('"')[0].replace("&amp;", "&")
    assert seen == list(range(7))
    assert client.get(world.url(f"t/{topic.id}?after=nonsense")).status_code == 400


def test_a_page_of_comments_reads_their_replies_in_the_same_statement(world, topic, make, app):
    """Each shown comment with its live replies under it; the comment read only to know a
    next page exists brings none of its replies; a reply's like is the viewer's."""
    app.config["PAGE_SIZE"] = 2
    tops = [make.comment(topic, world.owner, f"top-{n}-end") for n in range(3)]
    for n, top in enumerate(tops):
        make.comment(topic, world.guest, f"reply-{n}-end", parent=top)
    make.comment(topic, world.guest, "gone-end", parent=tops[0]).deleted_at = utcnow()
    liked = make.comment(topic, world.owner, "liked-end", parent=tops[1])
    db.session.add(Like(user_id=world.member.id, planet_id=topic.planet_id, comment_id=liked.id))
    db.session.commit()
    client = world.client("member")
    body, statements = page_queries(app, client, world.url(f"t/{topic.id}"))
    thread = body.split('id="comments"')[1]
    order = ["top-0-end", "reply-0-end", "top-1-end", "reply-1-end", "liked-end"]
    assert [thread.index(marker) for marker in order] == sorted(thread.index(m) for m in order)
    assert "gone-end" not in thread and "top-2-end" not in thread and "reply-2-end" not in thread
    pressed = {
        marker: 'aria-pressed="true"' in block
        for block in thread.split('<div class="comment')
        for marker in ("reply-1-end", "liked-end")
        if marker in block
    }
    assert pressed == {"reply-1-end": False, "liked-end": True}
    assert len([sql for sql in statements if "FROM comments" in sql]) == 1
    older = thread.split('class="button secondary" href="')[1].split('"')[0]
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "top-2-end" in second and "reply-2-end" in second and "top-1-end" not in second


def test_edit_and_delete_own_comment_fix_counters(world, topic):
    _comment(world, "member", topic, body="mine")
    top = db.session.scalar(select(Comment))
    _comment(world, "guest", topic, body="answer", parent_id=top.id)
    member = world.client("member")
    assert (
        world.client("guest").post(world.url(f"c/{top.id}/edit"), data={"body": "x"}).status_code
        == 403
    )
    assert member.post(world.url(f"c/{top.id}/edit"), data={"body": ""}).status_code == 400
    assert member.post(world.url(f"c/{top.id}/edit"), data={"body": "edited"}).status_code == 302
    db.session.refresh(top)
    assert top.body == "edited"
    assert world.client("guest").post(world.url(f"c/{top.id}/delete")).status_code == 403
    assert member.post(world.url(f"c/{top.id}/delete")).status_code == 302
    db.session.refresh(topic)
    assert topic.comment_count == 0  # the reply went with its comment
    page = member.get(world.url(f"t/{topic.id}")).get_data(as_text=True)
    assert "edited" not in page and "answer" not in page.split('id="comments"')[1]


@pytest.mark.parametrize("who", ["owner", "admin"])
def test_moderators_delete_any_comment(world, topic, who):
    _comment(world, "member", topic, body="rude")
    comment = db.session.scalar(select(Comment))
    assert world.client(who).post(world.url(f"c/{comment.id}/delete")).status_code == 302


LIKE = {"owner": 302, "admin": 302, "guest": 302, "member": 302, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_may_like(world, topic, who):
    response = world.client(who).post(world.url(f"t/{topic.id}/like"))
    assert response.status_code == LIKE[who]
    db.session.refresh(topic)
    assert topic.like_count == (1 if LIKE[who] == 302 else 0)


def test_likes_are_idempotent_and_counted(world, topic):
    member = world.client("member")
    for _ in range(3):
        assert member.post(world.url(f"t/{topic.id}/like")).status_code == 302
    world.client("owner").post(world.url(f"t/{topic.id}/like"))
    db.session.refresh(topic)
    assert topic.like_count == 2
    assert db.session.scalar(select(func.count()).select_from(Like)) == 2
    page = member.get(world.url(f"t/{topic.id}")).get_data(as_text=True)
    assert f'action="/p/moon/t/{topic.id}/unlike"' in page
    for _ in range(2):
        assert member.post(world.url(f"t/{topic.id}/unlike")).status_code == 302
    db.session.refresh(topic)
    assert topic.like_count == 1
    json = member.post(world.url(f"t/{topic.id}/like"), headers={"Accept": "application/json"})
    assert json.json == {"liked": True, "like_count": 2}


def test_comment_likes(world, topic):
    _comment(world, "owner", topic, body="like me")
    comment = db.session.scalar(select(Comment))
    member = world.client("member")
    member.post(world.url(f"c/{comment.id}/like"))
    member.post(world.url(f"c/{comment.id}/like"))
    db.session.refresh(comment)
    assert comment.like_count == 1
    member.post(world.url(f"c/{comment.id}/unlike"))
    db.session.refresh(comment)
    assert comment.like_count == 0
    assert world.client("outsider").post(world.url(f"c/{comment.id}/like")).status_code == 403


def test_like_redirects_back_only_inside_the_site(world, topic):
    member = world.client("member")
    back = member.post(world.url(f"t/{topic.id}/like"), data={"next": "/p/moon/?filter=essence"})
    assert back.headers["Location"].endswith("/p/moon/?filter=essence")
    away = member.post(world.url(f"t/{topic.id}/unlike"), data={"next": "//evil.example/"})
    assert away.headers["Location"].endswith(f"/p/moon/t/{topic.id}")


REPORT = {"owner": 302, "admin": 302, "guest": 400, "member": 302, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_may_report(world, topic, who, dispatched):
    response = world.client(who).post(world.url(f"t/{topic.id}/report"), data={"reason": "spam"})
    assert response.status_code == REPORT[who]  # the guest wrote it
    report = db.session.scalar(select(Report))
    assert (report is not None) is (REPORT[who] == 302)
    if report:
        assert ("content.report_filed", {"report_id": report.id}) in dispatched


def test_report_input_and_duplicates(world, topic):
    member = world.client("member")
    assert member.get(world.url(f"t/{topic.id}/report")).status_code == 200
    assert member.post(world.url(f"t/{topic.id}/report"), data={"reason": ""}).status_code == 400
    assert (
        member.post(world.url(f"t/{topic.id}/report"), data={"reason": "r" * 501}).status_code
        == 400
    )
    member.post(world.url(f"t/{topic.id}/report"), data={"reason": "spam"})
    member.post(world.url(f"t/{topic.id}/report"), data={"reason": "spam again"})
    assert db.session.scalar(select(func.count()).select_from(Report)) == 1


MODERATE = {"owner": 200, "admin": 200, "guest": 403, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_sees_the_report_queue(world, who):
    assert world.client(who).get(world.url("reports")).status_code == MODERATE[who]


def test_resolve_deletes_the_content_and_dismiss_keeps_it(world, topic, make):
    _comment(world, "guest", topic, body="bad comment")
    comment = db.session.scalar(select(Comment))
    member = world.client("member")
    member.post(world.url(f"c/{comment.id}/report"), data={"reason": "rude"})
    member.post(world.url(f"t/{topic.id}/report"), data={"reason": "off topic"})
    reports = {r.comment_id is not None: r for r in db.session.scalars(select(Report))}
    queue = world.client("admin").get(world.url("reports")).get_data(as_text=True)
    assert "rude" in queue and "off topic" in queue and "bad comment" in queue
    assert (
        world.client("member").post(world.url(f"reports/{reports[True].id}/resolve")).status_code
        == 403
    )
    assert (
        world.client("admin").post(world.url(f"reports/{reports[True].id}/resolve")).status_code
        == 302
    )
    assert (
        world.client("owner").post(world.url(f"reports/{reports[False].id}/dismiss")).status_code
        == 302
    )
    db.session.refresh(comment)
    db.session.refresh(topic)
    assert comment.deleted_at is not None and topic.deleted_at is None
    assert topic.comment_count == 0
    statuses = {r.comment_id is not None: r.status for r in db.session.scalars(select(Report))}
    assert statuses == {True: ReportStatus.RESOLVED, False: ReportStatus.DISMISSED}
    again = world.client("owner").post(world.url(f"reports/{reports[False].id}/dismiss"))
    assert again.status_code == 409
    foreign_planet = make.planet(world.owner, slug="venus")
    foreign_topic = make.topic(foreign_planet, world.owner)
    db.session.add(
        Report(
            planet_id=foreign_planet.id,
            reporter_id=world.owner.id,
            topic_id=foreign_topic.id,
            reason="x",
        )
    )
    db.session.commit()
    foreign = db.session.scalar(select(Report).where(Report.planet_id == foreign_planet.id))
    assert world.client("admin").post(world.url(f"reports/{foreign.id}/resolve")).status_code == 404
    db.session.refresh(foreign_topic)
    assert foreign_topic.deleted_at is None
    assert isinstance(topic, Topic)


@pytest.mark.postgres
def test_concurrent_double_likes_count_once(world, topic, app):
    """Ten identical like requests at once (double clicks, retries): one like, counter 1."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import login

    clients = []
    for _ in range(10):
        client = app.test_client()
        login(client, world.member)
        clients.append(client)

    url = world.url(f"t/{topic.id}/like")

    def press(client):
        return client.post(url).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(press, clients))
    assert set(statuses) <= {302, 409}
    assert 302 in statuses
    db.session.refresh(topic)
    assert topic.like_count == 1
    assert db.session.scalar(select(func.count()).select_from(Like)) == 1


def test_a_rendered_topic_page_signs_no_csrf_token_while_the_kept_one_is_fresh(
    world, topic, make, app, monkeypatch
):
    """Every form of a rendered page (top bar, likes, comments, replies) carries the session's
    kept token (planet/web/sessions.py): rendering a page signs nothing within its minute."""
    make.comment(topic, world.owner, "a comment")
    db.session.commit()
    monkeypatch.delitem(app.extensions, "planet_page_cache", raising=False)  # render each time
    client = world.client("member")
    url = world.url(f"t/{topic.id}")
    client.get(url)  # the session's raw token is set
    client.get(url)  # and signed, kept for a minute
    signed = []
    sign = URLSafeTimedSerializer.dumps

    def counted(self, *args, **kwargs):
        signed.append(1)
        return sign(self, *args, **kwargs)

    monkeypatch.setattr(URLSafeTimedSerializer, "dumps", counted)
    bodies = [client.get(url).get_data(as_text=True) for _ in range(2)]
    assert signed == []
    tokens = {t for body in bodies for t in re.findall(r'name="csrf_token" value="([^"]+)"', body)}
    assert len(tokens) == 1
    assert all(len(re.findall(r'name="csrf_token"', body)) >= 3 for body in bodies)
