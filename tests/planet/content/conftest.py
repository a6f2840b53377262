"""Content test fixtures: a planet with one person per role, and clients signed in as them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from planet.planets.models import MembershipStatus, Role
from tests.conftest import login

ROLES = ("owner", "admin", "guest", "member", "expired", "banned", "outsider", "anonymous")


class World:
    def __init__(self, app, make):
        self.app = app
        self.make = make
        self.owner = make.user(name="Owner")
        self.planet = make.planet(self.owner, slug="moon")
        self.people = {"owner": self.owner}
        for role in (Role.ADMIN, Role.GUEST, Role.MEMBER):
            person = make.user(name=f"The {role.value}")
            make.member(self.planet, person, role=role)
            self.people[role.value] = person
        self.people["expired"] = make.user(name="Expired")
        make.member(self.planet, self.people["expired"], expires_in=timedelta(seconds=-1))
        self.people["banned"] = make.user(name="Banned")
        make.member(self.planet, self.people["banned"], status=MembershipStatus.BANNED)
        self.people["outsider"] = make.user(name="Outsider")
        self._clients = {}

    def __getattr__(self, name):
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)

    def client(self, who: str):
        """A test client signed in as `who` (a fresh anonymous one for "anonymous")."""
        if who not in self._clients:
            client = self.app.test_client()
            if who != "anonymous":
                login(client, self.people[who])
            self._clients[who] = client
        return self._clients[who]

    def url(self, path: str = "", planet=None) -> str:
        return f"/p/{(planet or self.planet).slug}/{path}"


@pytest.fixture
def world(app, make):
    return World(app, make)


@pytest.fixture
def dispatched(app):
    """Jobs deferred by committed requests, as (name, kwargs), instead of running them."""
    jobs = []
    app.extensions["planet_dispatcher"] = lambda job: jobs.append((job.name, job.kwargs))
    yield jobs
    app.extensions.pop("planet_dispatcher", None)


def image_bytes(fmt: str = "PNG", size=(8, 8), noisy: bool = False) -> bytes:
    import os
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    if noisy:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    image.save(buffer, fmt)
    return buffer.getvalue()


def status_of(response) -> int:
    return response.status_code


EXPECT_WRITE_DENIED = {
    "expired": 403,
    "banned": 403,
    "outsider": 403,
    "anonymous": 401,
}
