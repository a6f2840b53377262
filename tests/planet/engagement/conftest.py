"""Engagement test helpers: a planet with an owner, a member and an outsider."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from planet.accounts.models import User
from planet.planets.models import Planet


@dataclass
class World:
    planet: Planet
    owner: User
    member: User
    outsider: User


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
