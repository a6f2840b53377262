"""Homework and private messages tell the person concerned: in-app, and by mail as they chose."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select

from planet import jobs
from planet.engagement.homework import services as homework
from planet.extensions import db
from planet.messages.services import mark_read, send_message
from planet.models import utcnow
from planet.notifications import services
from planet.notifications.models import Kind, Notification
from planet.planets.models import MembershipStatus


def _notes(kind: Kind, user_id: int | None = None) -> list[Notification]:
    statement = select(Notification).where(Notification.kind == kind)
    if user_id is not None:
        statement = statement.where(Notification.user_id == user_id)
    return list(db.session.scalars(statement.order_by(Notification.id)))


def _assignment(planet, author):
    item = homework.post_assignment(planet, author, "Essay", "Write", utcnow() + timedelta(days=2))
    jobs.commit()
    return item


def test_a_new_assignment_tells_the_members_who_may_hand_in(make, smtp_catcher):
    owner = make.user(email="owner@example.com")
    planet = make.planet(owner, name="Alpha")
    member = make.user(email="member@example.com", locale="en")
    make.member(planet, member)
    lapsed = make.user(email="lapsed@example.com")
    make.member(planet, lapsed, status=MembershipStatus.EXPIRED)
    outsider = make.user(email="outsider@example.com")

    item = _assignment(planet, owner)

    told = {note.user_id for note in _notes(Kind.ASSIGNMENT_POSTED)}
    assert told == {member.id}  # not the author, not a lapsed member, not an outsider
    assert outsider.id not in told
    [mail] = smtp_catcher.to("member@example.com")
    assert "Essay" in mail["Subject"] and "Alpha" in mail["Subject"]
    assert f"http://127.0.0.1:5000/p/{planet.slug}/homework/{item.id}" in smtp_catcher.links(mail)
    assert smtp_catcher.to("lapsed@example.com") == []


def _handed_in(make, smtp_catcher, email: str, kinds=None, **user):
    """A planet whose member (`email`) handed in the owner's assignment, the jobs run and the
    mails of that sent; with `kinds`, the member's chosen notification kinds set first.
    Returns (planet, owner, member, submission)."""
    owner = make.user()
    planet = make.planet(owner)
    member = make.user(email=email, **user)
    make.member(planet, member)
    if kinds is not None:
        services.set_preferences(member.id, kinds)
    item = _assignment(planet, owner)
    submission = homework.hand_in(planet, item, member, "my essay")
    jobs.commit()
    smtp_catcher.clear()
    return planet, owner, member, submission


def test_a_graded_hand_in_tells_its_author_once(make, smtp_catcher):
    planet, owner, member, submission = _handed_in(
        make, smtp_catcher, "member@example.com", locale="en"
    )

    homework.grade(planet, submission, owner, 90, "Well done")
    jobs.commit()
    homework.grade(planet, submission, owner, 95, "Even better")  # a re-grade
    jobs.commit()

    [note] = _notes(Kind.HOMEWORK_GRADED)
    assert note.user_id == member.id
    with force_locale("en"):
        assert "graded" in services.title_of(note) and "90/100" in services.title_of(note)
    [mail] = smtp_catcher.to("member@example.com")
    assert "graded" in mail["Subject"]


def test_graded_homework_mail_follows_the_members_choice(make, smtp_catcher):
    planet, owner, member, submission = _handed_in(
        make, smtp_catcher, "quiet@example.com", kinds=set(Kind) - {Kind.HOMEWORK_GRADED}
    )

    homework.grade(planet, submission, owner, 70, "")
    jobs.commit()

    assert [note.user_id for note in _notes(Kind.HOMEWORK_GRADED)] == [member.id]  # in-app
    assert smtp_catcher.to("quiet@example.com") == []  # but no mail


def test_a_private_message_tells_its_recipient(make, smtp_catcher):
    owner = make.user(name="Olga")
    planet = make.planet(owner, name="Alpha")
    member = make.user(email="member@example.com", locale="en")
    make.member(planet, member)

    send_message(planet, owner, member.id, "A secret about the paid course")
    jobs.commit()

    [note] = _notes(Kind.MESSAGE_RECEIVED)
    assert note.user_id == member.id and note.actor_id == owner.id
    assert "A secret" not in note.data  # who wrote, never what
    [mail] = smtp_catcher.to("member@example.com")
    assert "Olga" in mail["Subject"]
    assert "A secret" not in smtp_catcher.text(mail)
    assert f"http://127.0.0.1:5000/messages/{planet.slug}/{owner.id}" in smtp_catcher.links(mail)
    assert _notes(Kind.MESSAGE_RECEIVED, owner.id) == []  # the sender is not told


def test_reading_the_conversation_marks_its_message_notices_read(make):
    owner = make.user()
    planet = make.planet(owner)
    member = make.user()
    make.member(planet, member)
    send_message(planet, owner, member.id, "one")
    send_message(planet, owner, member.id, "two")
    jobs.commit()
    assert services.unread_count(member.id) == 2

    mark_read(planet, member, owner.id)
    jobs.commit()

    assert services.unread_count(member.id) == 0
