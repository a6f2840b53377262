"""Engagement test helpers: a planet with an owner, a member and an outsider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from planet.accounts.models import User
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet


@dataclass
class World:
    planet: Planet
    owner: User
    member: User
    outsider: User

    def event_at(self, title: str, start: datetime):
        """The owner's one-off event at the instant `start` (to the minute), set as the planet's
        local date and time, the way the form sets it."""
        from planet.engagement.clock import planet_tz
        from planet.engagement.events import services as events

        local = start.astimezone(planet_tz(self.planet))
        return events.create_event(
            self.planet,
            self.owner,
            title=title,
            local_date=local.date(),
            local_time=local.time().replace(second=0, microsecond=0),
        )


@pytest.fixture
def world(make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, slug="alpha")
    member = make.user(name="Mia")
    make.member(planet, member)
    outsider = make.user(name="Otto")
    return World(planet, owner, member, outsider)


@pytest.fixture
def as_user(client, login_as):
    """Switch the test client to `user` (a fresh login each time)."""

    def switch(user):
        with client.session_transaction() as session:
            session.clear()
        login_as(user)
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return switch


@pytest.fixture(autouse=True)
def english(app):
    """Service refusals outside a request are rendered in English for the assertions."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@dataclass
class Standings:
    """Two more members of the world's planet: `grace` (paid term over, still in the dunning
    grace period: entitled everywhere) and `lapsed` (grace over, status not yet swept to
    expired: entitled nowhere). Both start as plain active members, so the test can record
    what they did; `settle()` then moves their memberships to those standings."""

    grace: User
    lapsed: User
    grace_membership: Membership
    lapsed_membership: Membership

    def settle(self) -> None:
        now = utcnow()
        self.grace_membership.expires_at = now - timedelta(days=1)
        self.grace_membership.grace_until = now + timedelta(days=3)
        self.lapsed_membership.expires_at = now - timedelta(days=5)
        self.lapsed_membership.grace_until = now - timedelta(days=1)
        db.session.commit()
        assert self.grace_membership.status is MembershipStatus.ACTIVE
        assert self.grace_membership.is_entitled_at(now)
        assert self.lapsed_membership.status is MembershipStatus.ACTIVE
        assert not self.lapsed_membership.is_entitled_at(now)


@pytest.fixture
def standings(world, make):
    grace, lapsed = make.user(name="Gina"), make.user(name="Lars")
    return Standings(
        grace, lapsed, make.member(world.planet, grace), make.member(world.planet, lapsed)
    )
