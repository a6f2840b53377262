"""Muting a member for N days (they read, they do not post, ask or comment, until it ends or a
moderator unmutes them), and banning a member with everything they wrote hidden in one action;
both in the audit list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from planet.content.models import Comment, Topic
from planet.extensions import db
from planet.moderation.models import AuditEntry
from planet.planets.models import Membership, MembershipStatus, Planet, PostingPolicy, Role
from tests.conftest import login


@pytest.fixture
def world(app, make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, posting_policy=PostingPolicy.MEMBERS)
    member = make.user(name="Member")
    membership = make.member(planet, member)
    admin = make.user(name="Admin")
    admin_membership = make.member(planet, admin, role=Role.ADMIN)
    topic = make.topic(planet, owner, "Open topic", title="Open")
    return planet, owner, member, membership, admin, admin_membership, topic


def _writes(client, planet, owner, topic) -> list[int]:
    return [
        client.post(f"/p/{planet.slug}/t/{topic.id}/comments", data={"body": "hi"}).status_code,
        client.post(
            f"/p/{planet.slug}/ask", data={"addressee": owner.id, "body": "q?"}
        ).status_code,
        client.post(f"/p/{planet.slug}/new", data={"title": "", "body": "post"}).status_code,
    ]


def test_a_muted_member_reads_but_does_not_write_until_unmuted(app, world):
    planet, owner, member, membership, admin, _am, topic = world
    moderator, writer = app.test_client(), app.test_client()
    login(moderator, admin)
    login(writer, member)
    url = f"/p/{planet.slug}/members/{membership.id}/mute"
    assert moderator.post(url, data={"days": "7"}).status_code == 302
    assert _writes(writer, planet, owner, topic) == [403, 403, 403]
    assert writer.get(f"/p/{planet.slug}/t/{topic.id}").status_code == 200
    assert db.session.scalar(select(Comment.id)) is None
    assert moderator.post(url, data={"unmute": "1"}).status_code == 302
    assert all(s == 302 for s in _writes(writer, planet, owner, topic))
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["muted", "unmuted"]


@pytest.mark.parametrize("days", ["0", "366", "-1", "x", ""])
def test_odd_mute_lengths_are_refused(app, world, days):
    planet, owner, _m, membership, *_ = world
    client = app.test_client()
    login(client, owner)
    url = f"/p/{planet.slug}/members/{membership.id}/mute"
    assert client.post(url, data={"days": days}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).muted_until is None


def test_staff_cannot_be_muted_and_members_cannot_mute(app, world):
    planet, owner, member, membership, admin, admin_membership, _t = world
    client = app.test_client()
    login(client, owner)
    assert (
        client.post(f"/p/{planet.slug}/members/{admin_membership.id}/mute", data={"days": "7"})
    ).status_code in (400, 403)
    login(client, member)
    assert (
        client.post(f"/p/{planet.slug}/members/{membership.id}/mute", data={"days": "7"})
    ).status_code in (400, 403)
    db.session.expire_all()
    assert db.session.get(Membership, admin_membership.id).muted_until is None


def test_ban_and_hide_takes_everything_they_wrote_down(app, make, world):
    planet, owner, member, membership, *_rest, topic = world
    writer = app.test_client()
    login(writer, member)
    for n in range(3):
        writer.post(f"/p/{planet.slug}/new", data={"title": "", "body": f"mine {n}"})
        writer.post(f"/p/{planet.slug}/t/{topic.id}/comments", data={"body": f"c {n}"})
    before = db.session.get(Planet, planet.id).topic_count
    client = app.test_client()
    login(client, owner)
    url = f"/p/{planet.slug}/members/{membership.id}/ban"
    assert client.post(url, data={"hide": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).status is MembershipStatus.BANNED
    live = select(Topic).where(Topic.author_id == member.id, Topic.deleted_at.is_(None))
    assert db.session.scalars(live).all() == []
    comments = select(Comment).where(Comment.author_id == member.id, Comment.deleted_at.is_(None))
    assert db.session.scalars(comments).all() == []
    assert db.session.get(Planet, planet.id).topic_count == before - 3
    assert db.session.get(Topic, topic.id).comment_count == 0
    page = client.get(f"/p/{planet.slug}/").get_data(as_text=True)
    assert "mine 0" not in page
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["banned", "content_hidden"]
