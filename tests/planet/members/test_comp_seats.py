"""Free seats: the owner grants a membership until a date; the person accepts the mailed link;
it counts apart from paid seats on the income and health pages."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from planet.extensions import db
from planet.members import comp
from planet.members.models import Invitation
from planet.planets.models import Membership, MembershipSource, Role

UNTIL = (date.today() + timedelta(days=120)).isoformat()


@pytest.fixture
def moon(make, login_as):
    owner = make.user(email="olga@example.com", name="Olga")
    planet = make.planet(owner, slug="moon", name="Moon", price_amount=9900)
    make.member(planet, make.user(email="paid@example.com"))
    db.session.commit()
    login_as(owner)
    return planet


def grant(client, email="gus@example.com", until=UNTIL, note="Podcast guest"):
    return client.post(
        "/p/moon/members/free-seats", data={"email": email, "until": until, "note": note}
    )


def test_a_free_seat_is_mailed_accepted_and_counted_apart(app, client, make, moon, smtp_catcher):
    assert grant(client).status_code == 302
    [mail] = smtp_catcher.to("gus@example.com")
    assert "free membership of Moon" in smtp_catcher.text(mail)
    [link] = [u for u in smtp_catcher.links(mail) if "/invitation/" in u]
    gus = make.user(email="gus@example.com")
    db.session.commit()
    tab = app.test_client()
    tab.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    from tests.conftest import login

    login(tab, gus)
    assert tab.post(urlsplit(link).path).status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == gus.id))
    assert membership.source is MembershipSource.COMP and membership.role is Role.MEMBER
    assert membership.expires_at.date() >= date.fromisoformat(UNTIL)
    db.session.refresh(moon)
    assert comp.seat_counts(moon) == {"paid": 1, "import": 0, "comp": 1, "gift": 0}
    for page in ("/p/moon/income", "/p/moon/health", "/p/moon/members/free-seats"):
        text = client.get(page).get_data(as_text=True)
        assert 'data-seat="comp">1<' in text and 'data-seat="paid">1<' in text, page
    assert "Podcast guest" in client.get("/p/moon/members/free-seats").get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "until", "words"),
    [
        ("not-an-email", UNTIL, "valid email"),
        ("gus@example.com", (date.today() - timedelta(days=1)).isoformat(), "in the past"),
        ("gus@example.com", "2999-01-01", "date between"),
        ("gus@example.com", "", "This field is required"),
    ],
)
def test_bad_seats_are_a_400_beside_the_field(client, moon, email, until, words):
    response = grant(client, email, until)
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_the_same_seat_twice_is_refused(client, moon, smtp_catcher):
    assert grant(client).status_code == 302
    response = grant(client)
    assert response.status_code == 409
    assert "already has an invitation" in response.get_data(as_text=True)
    assert len(smtp_catcher.to("gus@example.com")) == 1


def test_admins_cannot_grant_seats(client, make, moon, login_as):
    admin = make.user()
    make.member(moon, admin, role=Role.ADMIN)
    db.session.commit()
    login_as(admin)
    assert grant(client).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
