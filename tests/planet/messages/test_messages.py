"""Private messages: the switch for each role, inbox grouping, read state, no writes on GET."""

import pytest
from sqlalchemy import func, select

from planet.extensions import db
from planet.messages.models import Conversation, Message
from tests.conftest import queries_by_page_size
from tests.planet.planets.helpers import build_world


@pytest.fixture
def world(make):
    return build_world(make)


def _messages() -> list[Message]:
    db.session.expire_all()
    return db.session.scalars(select(Message).order_by(Message.id)).all()


def _send(client, sender_world_name, world, recipient, body="你好 **there**"):
    return client.post(f"/messages/home-planet/{recipient.id}", data={"body": body})


def test_member_sends_and_recipient_reads(client, login_as, world):
    login_as(world.member)
    response = _send(client, "member", world, world.guest)
    assert response.status_code == 302
    (message,) = _messages()
    assert (message.sender_id, message.recipient_id) == (world.member.id, world.guest.id)
    assert message.read_at is None

    login_as(world.guest)
    inbox = client.get("/messages").get_data(as_text=True)
    assert "Member" in inbox and "你好 there" in inbox and 'class="badge"' in inbox
    page = client.get(f"/messages/home-planet/{world.member.id}")
    assert page.status_code == 200
    assert "<strong>there</strong>" in page.get_data(as_text=True)
    # Viewing is a GET: nothing was written.
    assert _messages()[0].read_at is None
    assert client.post(f"/messages/home-planet/{world.member.id}/read").status_code == 302
    assert _messages()[0].read_at is not None
    assert 'class="badge"' not in client.get("/messages").get_data(as_text=True)


def test_replying_marks_the_thread_read(client, login_as, world):
    login_as(world.member)
    _send(client, "member", world, world.admin)
    login_as(world.admin)
    assert _send(client, "admin", world, world.member, "reply").status_code == 302
    first, second = _messages()
    assert first.read_at is not None and second.read_at is None
    mine = db.session.scalar(select(Conversation).where(Conversation.user_id == world.admin.id))
    assert mine.unread_count == 0 and mine.last_message_id == second.id


def test_message_bodies_are_sanitized(client, login_as, world):
    login_as(world.member)
    _send(client, "member", world, world.owner, "<script>alert(1)</script>[x](javascript:alert(2))")
    login_as(world.owner)
    html = client.get(f"/messages/home-planet/{world.member.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and 'href="javascript' not in html


@pytest.mark.parametrize(
    "sender,recipient,switch_on,switch_off",
    [
        ("member", "guest", 302, 403),
        ("guest", "member", 302, 403),
        ("owner", "member", 302, 302),
        ("admin", "member", 302, 302),
        ("member", "owner", 302, 403),
        ("expired", "member", 403, 403),
        ("banned", "member", 403, 403),
        ("outsider", "member", 403, 403),
        ("other_owner", "member", 403, 403),
        ("member", "expired", 404, 404),
        ("member", "outsider", 404, 403),
        ("member", "member", 400, 400),
    ],
)
def test_message_switch_for_each_role(
    client, login_as, world, sender, recipient, switch_on, switch_off
):
    login_as(getattr(world, sender))
    target = getattr(world, recipient)
    assert _send(client, sender, world, target).status_code == switch_on
    world.planet.private_messages_enabled = False
    db.session.commit()
    response = _send(client, sender, world, target)
    assert response.status_code == switch_off
    sent = sum(1 for code in (switch_on, switch_off) if code == 302)
    assert len(_messages()) == sent
    if switch_off == 403 and sender in ("member", "guest"):
        assert "switched off private messages" in response.get_data(as_text=True)


def test_empty_and_oversized_messages_are_refused(client, login_as, world):
    login_as(world.member)
    assert _send(client, "member", world, world.owner, "   ").status_code == 400
    assert _send(client, "member", world, world.owner, "x" * 5001).status_code == 400
    assert _messages() == []


def test_unknown_user_is_404(client, login_as, world):
    login_as(world.member)
    assert client.get("/messages/home-planet/99999").status_code == 404
    assert client.get(f"/messages/no-such-planet/{world.owner.id}").status_code == 404


def test_thread_page_refused_without_messages_or_permission(client, login_as, world):
    login_as(world.outsider)
    assert client.get(f"/messages/home-planet/{world.member.id}").status_code == 403
    login_as(world.member)
    page = client.get(f"/messages/home-planet/{world.guest.id}")
    assert page.status_code == 200 and 'name="body"' in page.get_data(as_text=True)


def test_a_third_person_cannot_read_a_conversation(client, login_as, world):
    login_as(world.member)
    _send(client, "member", world, world.guest, "secret canary 8812")
    login_as(world.admin)
    page = client.get(f"/messages/home-planet/{world.guest.id}").get_data(as_text=True)
    assert "canary 8812" not in page
    assert "canary 8812" not in client.get("/messages").get_data(as_text=True)


def test_inbox_groups_by_counterpart_newest_first(client, login_as, world, make):
    login_as(world.member)
    _send(client, "member", world, world.owner, "first to owner")
    _send(client, "member", world, world.guest, "to guest")
    _send(client, "member", world, world.owner, "second to owner")
    html = client.get("/messages").get_data(as_text=True)
    assert html.count('class="card conversation') == 2
    assert html.index("second to owner") < html.index("to guest")
    assert "first to owner" not in html
    count = db.session.scalar(select(func.count(Conversation.id)))
    assert count == 4  # one row per side


def test_inbox_pages_with_constant_queries(client, login_as, make, app):
    owner = make.user()
    planet = make.planet(owner, slug="chatty")
    login_as(owner)
    for _ in range(12):
        person = make.member(planet)
        assert client.post(f"/messages/chatty/{person.user_id}", data={"body": "hi"}).status_code
    counts = queries_by_page_size(app, client, "/messages", (3, 10))
    assert counts[3] == counts[10]
    app.config["PAGE_SIZE"] = 5
    seen, url = 0, "/messages"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += html.count('class="card conversation')
        marker = 'href="/messages?after='
        url = "/messages?after=" + html.split(marker)[1].split('"')[0] if marker in html else None
    assert seen == 12


def test_inbox_needs_sign_in(client):
    assert client.get("/messages").status_code in (302, 401)


def test_a_service_refusal_is_shown_on_the_form(client, login_as, world, monkeypatch):
    from planet.errors import Conflict
    from planet.messages import services

    def refuse(*args, **kwargs):
        raise Conflict("That message was already sent.")

    monkeypatch.setattr(services, "send_message", refuse)
    login_as(world.member)
    response = _send(client, "member", world, world.owner, "hello")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "That message was already sent." in page and 'name="body"' in page


@pytest.mark.parametrize("staff", ["owner", "admin"])
def test_with_messages_off_a_member_answers_staff_who_wrote_first(
    client, login_as, world, make, staff
):
    """Issue 11 point 13: an owner or admin writes to a member with private messages off; the
    member may answer inside that conversation, but not start one with anyone else."""
    world.planet.private_messages_enabled = False
    other_member = make.user(name="Second member")
    make.member(world.planet, other_member)
    db.session.commit()
    writer = getattr(world, staff)
    login_as(writer)
    assert _send(client, staff, world, world.member, "Welcome aboard").status_code == 302

    login_as(world.member)
    page = client.get(f"/messages/home-planet/{writer.id}").get_data(as_text=True)
    assert "Welcome aboard" in page and 'name="body"' in page
    assert _send(client, "member", world, writer, "Thank you!").status_code == 302
    assert [m.body for m in _messages()] == ["Welcome aboard", "Thank you!"]

    # Still no new conversation: not to the other staff member, not to another member.
    others = {"owner": world.admin, "admin": world.owner}
    refused = _send(client, "member", world, others[staff], "Hello?")
    assert refused.status_code == 403
    assert "switched off private messages" in refused.get_data(as_text=True)
    assert _send(client, "member", world, other_member, "Hi there").status_code == 403
    page = client.get(f"/messages/home-planet/{other_member.id}")
    assert page.status_code == 403
    assert len(_messages()) == 2

    # The staff member sees the reply.
    login_as(writer)
    page = client.get(f"/messages/home-planet/{world.member.id}").get_data(as_text=True)
    assert "Thank you!" in page


def test_a_guest_who_wrote_first_is_not_answered_with_messages_off(client, login_as, world):
    """Guests are not moderators: what a guest wrote before the switch went off gives the
    member no way to answer."""
    login_as(world.guest)
    assert _send(client, "guest", world, world.member, "Before the switch").status_code == 302
    world.planet.private_messages_enabled = False
    db.session.commit()
    login_as(world.member)
    assert _send(client, "member", world, world.guest, "After").status_code == 403
    assert len(_messages()) == 1
