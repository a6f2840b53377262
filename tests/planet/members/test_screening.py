"""Join screening for free planets (planet/members/screening.py): with it on, joining is a
request with answers; moderators approve (one membership, even with two of them at once) or
refuse with a reason the applicant is told; bad input is refused with nothing written; every
decision is in the audit list; paid planets cannot screen."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from planet.extensions import db
from planet.members.models import ApplicationStatus, JoinApplication
from planet.moderation.models import AuditEntry
from planet.notifications.models import Kind, Notification
from planet.planets.models import Membership, Planet, Role
from tests.conftest import login


@pytest.fixture
def world(app, make):
    owner = make.user(name="Owner")
    planet = make.planet(owner)
    admin = make.user(name="Admin")
    make.member(planet, admin, role=Role.ADMIN)
    newcomer = make.user(name="Newcomer")
    client = app.test_client()
    login(client, owner)
    response = client.post(
        f"/p/{planet.slug}/applications/settings",
        data={"enabled": "1", "questions": "What do you build?\nHow did you find us?"},
    )
    assert response.status_code == 302
    return planet, owner, admin, newcomer


def _apply(app, planet, user, *answers):
    client = app.test_client()
    login(client, user)
    data = {f"answer{n}": a for n, a in enumerate(answers)}
    return client, client.post(f"/p/{planet.slug}/apply", data=data)


def _members(planet, user) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.planet_id == planet.id, Membership.user_id == user.id
        )
    )


def test_joining_is_a_request_that_an_admin_approves(app, world):
    planet, _owner, admin, newcomer = world
    client, response = _apply(app, planet, newcomer, "A todo app", "A friend")
    assert response.status_code == 302
    assert client.post(f"/p/{planet.slug}/join").headers["Location"].endswith("/apply")
    assert _members(planet, newcomer) == 0
    assert client.get(f"/p/{planet.slug}/").status_code in (302, 403)  # not in yet
    assert "application-pending" in client.get(f"/p/{planet.slug}/apply").get_data(as_text=True)
    [application] = db.session.scalars(select(JoinApplication)).all()
    moderator = app.test_client()
    login(moderator, admin)
    queue = moderator.get(f"/p/{planet.slug}/applications").get_data(as_text=True)
    assert "A todo app" in queue and "How did you find us?" in queue
    url = f"/p/{planet.slug}/applications/{application.id}/approve"
    assert moderator.post(url).status_code == 302
    assert moderator.post(url).status_code == 409
    assert _members(planet, newcomer) == 1
    assert client.get(f"/p/{planet.slug}/").status_code == 200
    told = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == newcomer.id, Notification.kind == Kind.JOIN_APPROVED
        )
    )
    assert told == 1
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["screening_set", "application_approved"]


def test_a_refusal_carries_its_reason_and_they_may_ask_again(app, world):
    planet, owner, _admin, newcomer = world
    client, _ = _apply(app, planet, newcomer, "x", "y")
    application = db.session.scalar(select(JoinApplication))
    moderator = app.test_client()
    login(moderator, owner)
    url = f"/p/{planet.slug}/applications/{application.id}/refuse"
    assert moderator.post(url, data={"reason": ""}).status_code == 400
    assert moderator.post(url, data={"reason": "Builders only"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(JoinApplication, application.id).status is ApplicationStatus.REFUSED
    note = db.session.scalar(select(Notification).where(Notification.kind == Kind.JOIN_REFUSED))
    assert "Builders only" in note.data
    assert _members(planet, newcomer) == 0
    _, again = _apply(app, planet, newcomer, "Now a builder", "Search")
    assert again.status_code == 302


@pytest.mark.parametrize(
    "answers", [("only one",), ("", "empty"), ("x" * 501, "long")], ids=["missing", "blank", "long"]
)
def test_bad_answers_write_nothing(app, world, answers):
    planet, _o, _a, newcomer = world
    _, response = _apply(app, planet, newcomer, *answers)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(JoinApplication.id))) == 0


def test_asking_twice_while_waiting_is_refused(app, world):
    planet, _o, _a, newcomer = world
    _apply(app, planet, newcomer, "a", "b")
    _, second = _apply(app, planet, newcomer, "a", "b")
    assert second.status_code == 409
    assert db.session.scalar(select(func.count(JoinApplication.id))) == 1


@pytest.mark.parametrize(
    "questions", ["a\nb\nc\nd", "q" * 201], ids=["four-questions", "long-question"]
)
def test_bad_settings_are_refused(app, world, questions):
    planet, owner, *_ = world
    client = app.test_client()
    login(client, owner)
    response = client.post(
        f"/p/{planet.slug}/applications/settings", data={"enabled": "1", "questions": questions}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Planet, planet.id).join_questions.count("\n") == 1


def test_a_paid_planet_cannot_screen(app, make):
    owner = make.user()
    planet = make.planet(owner, price_amount=9900)
    client = app.test_client()
    login(client, owner)
    response = client.post(
        f"/p/{planet.slug}/applications/settings", data={"enabled": "1", "questions": "Why?"}
    )
    assert response.status_code == 409
    assert db.session.get(Planet, planet.id).join_approval is False


def test_a_member_cannot_decide(app, make, world):
    planet, _owner, _admin, newcomer = world
    _apply(app, planet, newcomer, "a", "b")
    member = make.user()
    make.member(planet, member)
    client = app.test_client()
    login(client, member)
    application = db.session.scalar(select(JoinApplication))
    assert client.get(f"/p/{planet.slug}/applications").status_code == 403
    url = f"/p/{planet.slug}/applications/{application.id}/approve"
    assert client.post(url).status_code == 403
    assert _members(planet, newcomer) == 0


@pytest.mark.postgres
def test_two_moderators_approving_at_once_make_one_membership(app, world):
    planet, owner, admin, newcomer = world
    _apply(app, planet, newcomer, "a", "b")
    application_id = db.session.scalar(select(JoinApplication.id))
    planet_id, newcomer_id = planet.id, newcomer.id
    clients = []
    for user in (owner, admin):
        client = app.test_client()
        login(client, user)
        clients.append(client)
    barrier = threading.Barrier(2)
    url = f"/p/{planet.slug}/applications/{application_id}/approve"

    def approve(index):
        barrier.wait()
        return clients[index].post(url).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(approve, range(2)))
    db.session.remove()
    assert statuses == [302, 409]
    count = db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.planet_id == planet_id, Membership.user_id == newcomer_id
        )
    )
    assert count == 1
