"""Drafts and scheduled posts: who may keep them, who sees them (nobody but the author), the
time read in the writer's zone (a daylight-saving gap, the past and absurd years are refused
with nothing written), and publication at its time through the topic path: the notifications
and the digest place are the publication's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from planet.content.drafts.models import Draft, DraftState
from planet.content.drafts.publish import publish_due
from planet.content.models import Topic
from planet.extensions import db
from planet.models import utcnow
from planet.notifications.digest import DigestSource
from planet.planets.models import Membership, Planet, Role
from tests.planet.content.conftest import EXPECT_WRITE_DENIED, ROLES

SECRET = "UnpublishedDraftText42"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _write(world, who="owner", intent="draft", body=SECRET, zone=None, lang="en", **data):
    client = world.client(who)
    if zone:
        client.set_cookie("tz", zone)
    return client.post(
        world.url("new"),
        data={"body": body, "intent": intent, **data},
        headers={"Accept-Language": lang},
    )


def _get(world, who, path, lang="en"):
    return world.client(who).get(world.url(path), headers={"Accept-Language": lang})


def _draft() -> Draft:
    return db.session.scalar(select(Draft).order_by(Draft.id.desc()))


DRAFT_EXPECTED = {"owner": 302, "admin": 302, "guest": 302, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_owner_admins_and_guests_save_drafts(world, who):
    response = _write(world, who)
    assert response.status_code == DRAFT_EXPECTED[who]
    assert _count(Draft) == (1 if DRAFT_EXPECTED[who] == 302 else 0)
    assert _count(Topic) == 0


def test_a_draft_is_seen_by_its_author_only(world):
    assert _write(world, "guest", title="Guest draft").status_code == 302
    assert SECRET in _get(world, "guest", "drafts").get_data(as_text=True)
    for who in ("owner", "admin"):
        assert SECRET not in _get(world, who, "drafts").get_data(as_text=True), who
        edit = world.client(who).get(world.url(f"drafts/{_draft().id}/edit"))
        assert edit.status_code == 404, who
    assert SECRET not in _get(world, "member", "drafts").get_data(as_text=True)
    for who in ("owner", "admin", "guest", "member"):
        for path in ("", "search?q=UnpublishedDraft", f"u/{world.guest.id}"):
            assert SECRET not in _get(world, who, path).get_data(as_text=True), (who, path)
    db.session.refresh(world.planet)
    assert world.planet.topic_count == 0


def test_a_scheduled_announcement_is_seen_by_the_moderators_too(world):
    tomorrow = _local(utcnow() + timedelta(days=1), "Asia/Shanghai")
    response = _write(world, "owner", "schedule", announce="y", publish_at=tomorrow)
    assert response.status_code == 302
    assert SECRET in _get(world, "admin", "drafts").get_data(as_text=True)
    assert SECRET not in _get(world, "guest", "drafts").get_data(as_text=True)
    assert _get(world, "admin", f"drafts/{_draft().id}/edit").status_code == 404  # not theirs


def test_the_time_is_read_in_the_writers_zone(world):
    day = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    response = _write(world, "owner", "schedule", zone="Asia/Shanghai",
                      publish_at=f"{day}T09:00")  # fmt: skip
    assert response.status_code == 302
    draft = _draft()
    assert draft.state is DraftState.SCHEDULED
    expected = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 at UTC+8
    assert draft.publish_at == expected
    page = _get(world, "owner", "drafts").get_data(as_text=True)
    assert f"{day} 09:00 (Asia/Shanghai)" in page


GAP = ("America/New_York", datetime(2030, 3, 10, 2, 30))


def test_a_time_in_a_daylight_saving_gap_is_refused_in_the_users_language(world):
    zone, wall = GAP
    roundtrip = wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).astimezone(ZoneInfo(zone))
    assert roundtrip.replace(tzinfo=None) != wall  # the premise: 02:30 is skipped that night
    response = _write(world, "owner", "schedule", zone=zone, lang="zh-CN",
                      publish_at=wall.strftime("%Y-%m-%dT%H:%M"))  # fmt: skip
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "2030-03-10 02:30" in text and "America/New_York" in text and "夏令时" in text
    assert _count(Draft) == 0
    english = _write(world, "owner", "schedule", zone=zone,
                     publish_at=wall.strftime("%Y-%m-%dT%H:%M"))  # fmt: skip
    assert "the clocks skip it" in english.get_data(as_text=True)


@pytest.mark.parametrize(
    "when",
    [
        "past",
        "2200-01-01T10:00",  # beyond the field's bounds
        "0001-01-01T00:00",
        "far",  # more than two years ahead
        "2030-13-45T99:99",
        "",
    ],
)
def test_bad_times_are_refused_and_nothing_is_written(world, when):
    if when == "past":
        when = _local(utcnow() - timedelta(hours=1), "Asia/Shanghai")
    elif when == "far":
        when = _local(utcnow() + timedelta(days=800), "Asia/Shanghai")
    response = _write(world, "owner", "schedule", zone="Asia/Shanghai", publish_at=when)
    assert response.status_code == 400, when
    assert _count(Draft) == 0 and _count(Topic) == 0


def test_an_unknown_button_is_refused(world):
    assert _write(world, "owner", intent="explode").status_code == 400
    assert _count(Draft) == 0 and _count(Topic) == 0


def test_publication_happens_at_its_time_with_its_notifications(world, dispatched):
    in_an_hour = utcnow() + timedelta(hours=1)
    member = world.member
    response = _write(world, "owner", "schedule", zone="UTC", announce="y",
                      body=f"Hello @{member.display_name} {SECRET} #launch",
                      publish_at=_local(in_an_hour, "UTC"))  # fmt: skip
    assert response.status_code == 302
    assert dispatched == []  # nothing at writing time: no notification, no points
    assert publish_due(utcnow()) == {"published": 0, "failed": 0, "errors": 0}
    at = in_an_hour + timedelta(minutes=1)
    assert publish_due(at)["published"] == 1
    topic = db.session.scalar(select(Topic))
    assert topic.is_announcement and topic.in_feed and topic.feed_at == at
    assert topic.created_at == at and topic.pinned_at == at
    names = sorted(name for name, _kwargs in dispatched)
    assert names == ["content.announcement", "engagement.topic_created",
                     "notifications.topic_created"]  # fmt: skip
    mentions = dict(dispatched)["notifications.topic_created"]["mentioned_user_ids"]
    assert mentions == [member.id]
    draft = _draft()
    assert draft.state is DraftState.PUBLISHED and draft.topic_id == topic.id
    # Run again (a retry, a second beat): nothing more.
    assert publish_due(at + timedelta(minutes=5))["published"] == 0
    assert _count(Topic) == 1 and len(dispatched) == 3
    db.session.refresh(world.planet)
    assert world.planet.topic_count == 1
    page = _get(world, "member", "tags/launch").get_data(as_text=True)
    assert SECRET in page


def test_the_digest_places_it_at_its_publication(world):
    planet: Planet = world.planet
    written = utcnow()
    publish_at = written + timedelta(days=8)
    _write(world, "owner", "schedule", zone="UTC", publish_at=_local(publish_at, "UTC"))
    week = timedelta(days=7)
    assert DigestSource.load(planet, written - week, written + week).topics == []
    publish_due(publish_at + timedelta(minutes=1))
    this_week = DigestSource.load(planet, written - week, written + week)
    publication_week = DigestSource.load(planet, written + week, written + 2 * week)
    assert this_week.topics == []
    assert [SECRET in t.body for t in publication_week.topics] == [True]


def test_a_post_whose_author_lost_the_right_fails_with_the_reason(world):
    soon = utcnow() + timedelta(minutes=30)
    _write(world, "guest", "schedule", zone="UTC", publish_at=_local(soon, "UTC"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == world.guest.id))
    membership.role = Role.MEMBER
    db.session.commit()
    summary = publish_due(soon + timedelta(minutes=1))
    assert summary["failed"] == 1, summary
    draft = _draft()
    # the reason in the author's language (theirs is the default, Chinese), shown to them
    assert draft.state is DraftState.FAILED and "只有星主、管理员和嘉宾" in draft.failure
    page = _get(world, "guest", "drafts", lang="zh-CN").get_data(as_text=True)
    assert "未能发布" in page and draft.failure in page
    assert _count(Topic) == 0


def test_publish_now_unschedule_and_delete(world):
    _write(world, "admin", "draft", title="Mine")
    draft = _draft()
    client = world.client("admin")
    later = _local(utcnow() + timedelta(days=1), "Asia/Shanghai")
    data = {"body": "Edited", "intent": "schedule", "publish_at": later}
    edited = client.post(world.url(f"drafts/{draft.id}/edit"), data=data)
    assert edited.status_code == 302
    assert _draft().state is DraftState.SCHEDULED and _draft().body == "Edited"
    assert client.post(world.url(f"drafts/{draft.id}/unschedule")).status_code == 302
    assert _draft().state is DraftState.DRAFT and _draft().publish_at is None
    published = client.post(world.url(f"drafts/{draft.id}/publish"))
    assert published.status_code == 302
    topic = db.session.scalar(select(Topic))
    assert published.headers["Location"].endswith(f"/t/{topic.id}")
    assert client.post(world.url(f"drafts/{draft.id}/publish")).status_code == 409
    assert client.post(world.url(f"drafts/{draft.id}/delete")).status_code == 409
    assert _count(Topic) == 1
    _write(world, "admin", "draft", body="Throw away")
    assert client.post(world.url(f"drafts/{_draft().id}/delete")).status_code == 302
    assert _count(Draft, Draft.body == "Throw away") == 0


def test_someone_elses_or_another_planets_draft_is_not_found(world):
    _write(world, "owner", "draft")
    draft = _draft()
    for path in ("publish", "unschedule", "delete"):
        assert world.client("admin").post(world.url(f"drafts/{draft.id}/{path}")).status_code == 404
    mars = world.make.planet(world.owner, slug="mars")
    other = world.client("owner").post(f"/p/{mars.slug}/drafts/{draft.id}/publish")
    assert other.status_code == 404
    assert _count(Topic) == 0 and _draft().state is DraftState.DRAFT
