"""The owner's first hour: a checklist on the planet's pages whose progress comes from the data
(cover and description, price and rules, first topic, invite link opened, a guest), for the owner
only, gone once every step is done or put away."""

import re

import pytest

from planet.extensions import db
from planet.planets.models import Role
from tests.conftest import login


@pytest.fixture
def new_planet(make, client):
    owner = make.user(name="Olga")
    planet = make.planet(owner, slug="fresh", description="", rules="")
    login(client, owner)
    return planet, owner


def _checklist(client, path):
    page = client.get(path).get_data(as_text=True)
    if "Your first hour" not in page:
        return None
    done = re.search(r"(\d) of (\d) done", page)
    found = re.findall(r'class="(done|todo)" data-step="(\w+)"', page)
    steps = {key: state for state, key in found}
    return int(done.group(1)), int(done.group(2)), steps, page


def test_progress_follows_the_data(new_planet, client, make, app):
    planet, owner = new_planet
    done, total, steps, page = _checklist(client, "/p/fresh/")
    assert (done, total) == (0, 5)
    assert set(steps.values()) == {"todo"}
    for link in ("/p/fresh/new", "/p/fresh/settings", "/p/fresh/members"):
        assert f'href="{link}' in page
    assert _checklist(client, "/p/fresh/about")[:2] == (0, 5)  # where creating a planet lands

    make.topic(planet, owner, "Welcome!")
    done, _total, steps, _page = _checklist(client, "/p/fresh/")
    assert done == 1 and steps["topic"] == "done"

    planet.rules = "Be kind."
    planet.description = "A planet about things."
    planet.avatar_path = "ab/cd.png"
    db.session.commit()
    done, _total, steps, _page = _checklist(client, "/p/fresh/")
    assert done == 3 and steps["profile"] == steps["pricing"] == "done"

    visitor = app.test_client()
    visitor.environ_base["HTTP_USER_AGENT"] = "someone-invited"
    assert visitor.get("/p/fresh/about").status_code == 200
    client.get("/p/fresh/about")  # the owner's own views do not count
    done, _total, steps, _page = _checklist(client, "/p/fresh/")
    assert done == 4 and steps["invite"] == "done" and steps["guest"] == "todo"

    make.member(planet, role=Role.GUEST)
    assert _checklist(client, "/p/fresh/") is None  # every step done: gone


def test_members_never_see_it(new_planet, make, app):
    planet, _owner = new_planet
    member = make.user()
    make.member(planet, member)
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(other, member)
    assert _checklist(other, "/p/fresh/") is None
    assert _checklist(other, "/p/fresh/about") is None


def test_put_away_for_good(new_planet, client):
    planet, _owner = new_planet
    response = client.post("/p/fresh/checklist/dismiss", data={"next": "/p/fresh/about"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/p/fresh/about")
    assert _checklist(client, "/p/fresh/") is None
    db.session.expire_all()
    assert planet.checklist_dismissed_at is not None


def test_only_the_owner_may_put_it_away(new_planet, make, app):
    planet, _owner = new_planet
    admin = make.user()
    make.member(planet, admin, role=Role.ADMIN)
    other = app.test_client()
    login(other, admin)
    assert other.post("/p/fresh/checklist/dismiss").status_code == 403
    db.session.expire_all()
    assert planet.checklist_dismissed_at is None
