"""Publishing topics: who may post, limits, images, hashtags, edit, delete, feature, announce."""

from io import BytesIO

import pytest
from sqlalchemy import func, select

from planet.content.models import Attachment, Hashtag, Topic, TopicHashtag
from planet.extensions import db
from planet.planets.models import PostingPolicy
from tests.conftest import page_queries
from tests.planet.content.conftest import EXPECT_WRITE_DENIED, ROLES, image_bytes

# Files are stored on this machine and in an S3 bucket (tests/plugins/s3.py): both must work.
pytestmark = pytest.mark.usefixtures("storage_backend")


def _post(world, who, **data):
    data.setdefault("body", "Hello from the moon")
    return world.client(who).post(world.url("new"), data=data)


def _topics():
    return db.session.scalar(select(func.count()).select_from(Topic))


POST_EXPECTED = {"owner": 302, "admin": 302, "guest": 302, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_may_post_by_default(world, who):
    response = _post(world, who)
    assert response.status_code == POST_EXPECTED[who]
    assert _topics() == (1 if POST_EXPECTED[who] == 302 else 0)


@pytest.mark.parametrize("who", ROLES)
def test_members_may_post_when_the_owner_allows_it(world, who):
    world.planet.posting_policy = PostingPolicy.MEMBERS
    db.session.commit()
    expected = 302 if who in ("owner", "admin", "guest", "member") else EXPECT_WRITE_DENIED[who]
    assert _post(world, who).status_code == expected


def test_refusal_gives_the_reason_in_the_users_language(world):
    response = world.client("member").post(
        world.url("new"), data={"body": "x"}, headers={"Accept-Language": "zh-CN"}
    )
    assert response.status_code == 403
    assert "只有星主、管理员和嘉宾" in response.get_data(as_text=True)
    response = world.client("member").post(
        world.url("new"), data={"body": "x"}, headers={"Accept-Language": "en"}
    )
    assert "only the owner, admins and guests" in response.get_data(as_text=True)


def test_a_published_topic_is_in_the_timeline_with_counters(world):
    response = _post(world, "owner", title="First", body="Welcome to **the moon**")
    assert response.status_code == 302
    topic = db.session.scalar(select(Topic))
    assert response.headers["Location"].endswith(f"/p/moon/t/{topic.id}")
    assert topic.in_feed and topic.feed_at is not None
    db.session.refresh(world.planet)
    assert world.planet.topic_count == 1
    page = world.client("member").get(world.url()).get_data(as_text=True)
    assert "<strong>the moon</strong>" in page and "First" in page


@pytest.mark.parametrize(
    "data,reason",
    [
        ({"body": ""}, "不能为空"),
        ({"body": "   \n  "}, "不能为空"),
        ({"title": "t" * 121, "body": "ok"}, "最多 120 个字符"),
        ({"body": "b" * 20_001}, "最多 20000 个字符"),
    ],
)
def test_bad_topic_input_is_a_400_with_the_reason(world, data, reason):
    response = world.client("owner").post(
        world.url("new"), data=data, headers={"Accept-Language": "zh"}
    )
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert _topics() == 0


def test_limits_are_inclusive(world):
    assert _post(world, "owner", title="t" * 120, body="b" * 20_000).status_code == 302


def test_html_and_script_are_inert_everywhere(world, make):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))"
    world.owner.display_name = "<script>alert(4)</script>"
    db.session.commit()
    world.client("owner").post(
        world.url("new"),
        data={"title": evil, "body": evil + " #标签",
              "images": [(BytesIO(image_bytes()), '"><script>alert(5)</script>.png')]},
        content_type="multipart/form-data",
    )  # fmt: skip
    topic = db.session.scalar(select(Topic))
    client = world.client("member")
    client.post(world.url(f"t/{topic.id}/comments"), data={"body": evil})
    client.post(world.url(f"t/{topic.id}/report"), data={"reason": evil})
    client.post(world.url("ask"), data={"addressee": world.owner.id, "body": evil})
    question = db.session.scalar(select(Topic).where(Topic.kind == "question"))
    world.client("owner").post(world.url(f"t/{question.id}/answer"), data={"body": evil})
    paths = ("", f"t/{topic.id}", f"t/{question.id}", "tags/标签", "search?q=script",
             f"u/{world.owner.id}", "questions", "reports", f"search?q={evil}")  # fmt: skip
    for path in paths:
        client = world.client("owner" if path == "reports" else "member")
        page = client.get(world.url(path)).get_data(as_text=True)
        assert "<script>alert" not in page, path
        assert "onerror" not in page.replace("&lt;img src=x onerror", ""), path
        assert 'href="javascript:' not in page, path


def test_images_are_verified_stored_privately_and_rendered(world, app):
    files = [(BytesIO(image_bytes(fmt)), f"pic.{fmt.lower()}") for fmt in ("PNG", "JPEG", "GIF")]
    files.append((BytesIO(image_bytes("WEBP")), "pic.webp"))
    response = world.client("owner").post(
        world.url("new"),
        data={"body": "Photos", "images": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    attachments = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [a.content_type for a in attachments] == [
        "image/png", "image/jpeg", "image/gif", "image/webp"
    ]  # fmt: skip
    assert all(a.topic_id is not None and len(a.key) >= 32 for a in attachments)
    assert "static" not in app.config["UPLOAD_DIR"]
    for path in (f"t/{attachments[0].topic_id}", ""):  # the topic page and its card
        page, statements = page_queries(app, world.client("member"), world.url(path))
        shown = [page.index(f"/p/moon/files/{item.key}") for item in attachments]
        assert shown == sorted(shown), path  # in upload order
        assert not [sql for sql in statements if sql.startswith("SELECT attachments")], path
    download = world.client("member").get(world.url(f"files/{attachments[0].key}"))
    assert download.status_code == 200
    assert download.data == image_bytes("PNG")
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Cache-Control"] == "private, no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "payload,name",
    [
        (b"<html><script>alert(1)</script></html>", "evil.png"),
        (b"GIF89a not really", "fake.gif"),
        (b"", "empty.png"),
        (b"%PDF-1.4", "doc.pdf"),
    ],
)
def test_non_images_are_refused_and_nothing_is_written(world, payload, name):
    response = world.client("owner").post(
        world.url("new"),
        data={"body": "x", "images": [(BytesIO(payload), name)]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _topics() == 0
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_at_most_nine_images(world):
    files = [(BytesIO(image_bytes()), f"{n}.png") for n in range(10)]
    response = world.client("owner").post(
        world.url("new"), data={"body": "x", "images": files}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert _topics() == 0


def test_too_large_upload_is_413(world, app):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    big = image_bytes(size=(100, 100), noisy=True)
    assert len(big) > 2048
    response = world.client("owner").post(
        world.url("new"),
        data={"body": "x", "images": [(BytesIO(big), "big.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert _topics() == 0


def test_upload_endpoint_then_attach_by_key(world):
    owner = world.client("owner")
    response = owner.post(
        world.url("files"),
        data={"image": (BytesIO(image_bytes()), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    key = response.json["key"]
    # Not yet published: only the uploader can fetch it.
    assert owner.get(world.url(f"files/{key}")).status_code == 200
    assert world.client("member").get(world.url(f"files/{key}")).status_code == 404
    # Another person cannot attach someone else's upload.
    world.planet.posting_policy = PostingPolicy.MEMBERS
    db.session.commit()
    stolen = world.client("member").post(
        world.url("new"), data={"body": "mine", "attachment_keys": key}
    )
    assert stolen.status_code == 404
    assert owner.post(world.url("new"), data={"body": "ok", "attachment_keys": key}).status_code
    assert world.client("member").get(world.url(f"files/{key}")).status_code == 200


def test_upload_refusals(world):
    assert (
        world.client("member")
        .post(
            world.url("files"),
            data={"image": (BytesIO(image_bytes()), "a.png")},
            content_type="multipart/form-data",
        )
        .status_code
        == 403
    )
    assert world.client("owner").post(world.url("files"), data={}).status_code == 400


def test_attachments_leak_nothing_to_guessers(world, make):
    response = world.client("owner").post(
        world.url("new"),
        data={"body": "secret", "images": [(BytesIO(image_bytes()), "s.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    key = db.session.scalar(select(Attachment.key))
    for who in ("outsider", "expired", "banned", "anonymous"):
        response = world.client(who).get(world.url(f"files/{key}"))
        assert response.status_code in (401, 403), who
        assert response.data != image_bytes()
        assert response.headers["Cache-Control"] == "private, no-store"
    member = world.client("member")
    near_miss = key[:-1] + ("y" if key.endswith("x") else "x")  # one character off
    for guess in [str(n) for n in range(1, 30)] + [near_miss, "../../etc/passwd"]:
        assert member.get(world.url(f"files/{guess}")).status_code == 404
    # The key does not work through another planet, even for its owner.
    other = make.planet(world.owner, slug="mars")
    assert world.client("owner").get(f"/p/{other.slug}/files/{key}").status_code == 404


def test_hashtags_chinese_and_english(world):
    body = "今天聊 #社群运营 和 #Growth#增长，还有 #社群运营#。代码 `#notatag`"
    assert _post(world, "owner", body=body).status_code == 302
    names = set(db.session.scalars(select(Hashtag.name)))
    assert names == {"社群运营", "growth"}
    counts = dict(db.session.execute(select(Hashtag.name, Hashtag.topic_count)).all())
    assert counts == {"社群运营": 1, "growth": 1}
    page = world.client("member").get(world.url("tags/社群运营"))
    assert page.status_code == 200 and "今天聊" in page.get_data(as_text=True)
    assert "/p/moon/tags/" in world.client("member").get(world.url()).get_data(as_text=True)
    assert world.client("member").get(world.url("tags/Growth")).status_code == 200
    assert world.client("member").get(world.url("tags/notatag")).status_code == 404


def test_edit_own_topic_updates_tags(world):
    _post(world, "guest", body="about #alpha")
    topic = db.session.scalar(select(Topic))
    assert (
        world.client("admin").post(world.url(f"t/{topic.id}/edit"), data={"body": "x"}).status_code
        == 403
    )
    assert world.client("guest").get(world.url(f"t/{topic.id}/edit")).status_code == 200
    response = world.client("guest").post(
        world.url(f"t/{topic.id}/edit"), data={"title": "New", "body": "about #beta"}
    )
    assert response.status_code == 302
    db.session.refresh(topic)
    assert topic.title == "New" and topic.updated_at is not None
    counts = dict(db.session.execute(select(Hashtag.name, Hashtag.topic_count)).all())
    assert counts == {"alpha": 0, "beta": 1}
    assert db.session.scalar(select(func.count()).select_from(TopicHashtag)) == 1
    too_long = world.client("guest").post(
        world.url(f"t/{topic.id}/edit"), data={"body": "b" * 20_001}
    )
    assert too_long.status_code == 400


DELETE_OTHERS = {"owner": 302, "admin": 302, "guest": 403, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_may_delete_the_owners_topic(world, who):
    _post(world, "owner", body="by the owner #t")
    topic = db.session.scalar(select(Topic))
    response = world.client(who).post(world.url(f"t/{topic.id}/delete"))
    assert response.status_code == DELETE_OTHERS[who]
    db.session.refresh(topic)
    assert (topic.deleted_at is not None) is (DELETE_OTHERS[who] == 302)


def test_soft_delete_leaves_the_feed_and_fixes_counters(world):
    _post(world, "guest", body="going away #gone")
    topic = db.session.scalar(select(Topic))
    assert world.client("guest").post(world.url(f"t/{topic.id}/delete")).status_code == 302
    db.session.refresh(topic)
    db.session.refresh(world.planet)
    assert topic.deleted_at is not None and not topic.in_feed
    assert world.planet.topic_count == 0
    assert db.session.scalar(select(Hashtag.topic_count)) == 0
    member = world.client("member")
    assert "going away" not in member.get(world.url()).get_data(as_text=True)
    assert member.get(world.url(f"t/{topic.id}")).status_code == 404
    assert "going away" not in member.get(world.url("tags/gone")).get_data(as_text=True)
    # Deleting twice is harmless.
    assert world.client("guest").post(world.url(f"t/{topic.id}/delete")).status_code == 404


FEATURE = {"owner": 302, "admin": 302, "guest": 403, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_may_feature(world, who):
    _post(world, "guest", body="feature me")
    topic = db.session.scalar(select(Topic))
    client = world.client(who)
    first = client.post(world.url(f"t/{topic.id}/feature"), data={"what": "essence", "on": "1"})
    second = client.post(world.url(f"t/{topic.id}/feature"), data={"what": "pin", "on": "1"})
    assert first.status_code == second.status_code == FEATURE[who]
    db.session.refresh(topic)
    assert topic.is_essence is (FEATURE[who] == 302)
    assert (topic.pinned_at is not None) is (FEATURE[who] == 302)


def test_essence_filter_and_pinned_first(world, make):
    old = make.topic(world.planet, world.owner, "old pinned topic")
    for n in range(3):
        make.topic(world.planet, world.owner, f"newer {n}")
    owner = world.client("owner")
    owner.post(world.url(f"t/{old.id}/feature"), data={"what": "pin", "on": "1"})
    owner.post(world.url(f"t/{old.id}/feature"), data={"what": "essence", "on": "1"})
    page = world.client("member").get(world.url()).get_data(as_text=True)
    assert page.index("old pinned topic") < page.index("newer 2")
    essence = world.client("member").get(world.url("?filter=essence")).get_data(as_text=True)
    assert "old pinned topic" in essence and "newer" not in essence
    owner.post(world.url(f"t/{old.id}/feature"), data={"what": "pin", "on": "0"})
    page = world.client("member").get(world.url()).get_data(as_text=True)
    assert page.index("newer 2") < page.index("old pinned topic")
    bad = owner.post(world.url(f"t/{old.id}/feature"), data={"what": "gold", "on": "1"})
    assert bad.status_code == 400


ANNOUNCE = {"owner": 302, "admin": 403, "guest": 403, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_only_the_owner_announces(world, who, dispatched):
    response = _post(world, who, body="Meeting tonight", announce="y")
    assert response.status_code == ANNOUNCE[who]
    topic = db.session.scalar(select(Topic))
    if ANNOUNCE[who] == 302:
        assert topic.is_announcement and topic.pinned_at is not None
        assert ("content.announcement", {"topic_id": topic.id}) in dispatched
    else:
        assert topic is None
        assert not [name for name, _ in dispatched if name == "content.announcement"]


def test_topic_created_event_carries_mentions(world, dispatched):
    _post(world, "owner", body="Hi @The member and @The guest, not @Nobody or @Outsider")
    topic = db.session.scalar(select(Topic))
    [(name, kwargs)] = [job for job in dispatched if job[0] == "notifications.topic_created"]
    assert kwargs["topic_id"] == topic.id
    assert sorted(kwargs["mentioned_user_ids"]) == sorted([world.member.id, world.guest.id])


def test_another_planets_topic_is_404(world, make):
    other = make.planet(slug="venus")
    foreign = make.topic(other, other.owner, "venus only")
    owner = world.client("owner")
    for method, path in [
        ("get", f"t/{foreign.id}"),
        ("post", f"t/{foreign.id}/edit"),
        ("post", f"t/{foreign.id}/delete"),
        ("post", f"t/{foreign.id}/feature"),
        ("post", f"t/{foreign.id}/like"),
        ("post", f"t/{foreign.id}/comments"),
        ("post", f"t/{foreign.id}/report"),
        ("get", "t/999999"),
    ]:
        response = getattr(owner, method)(
            world.url(path), data={"body": "x", "what": "pin", "on": "1", "reason": "x"}
        )
        assert response.status_code == 404, path
    db.session.refresh(foreign)
    assert foreign.deleted_at is None and foreign.like_count == 0 and foreign.comment_count == 0
    assert owner.get(world.url("t/abc")).status_code == 404
