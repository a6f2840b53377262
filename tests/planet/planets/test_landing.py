"""The landing page: public facts and the essence preview, never other content."""

import pytest

from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import PlanetTag
from tests.planet.planets.helpers import build_world

CANARY = "CANARY-7f3a-paid-only"


@pytest.fixture
def world(make):
    world = build_world(make)
    world.planet.description = "A planet about **growth** and 社群运营."
    world.planet.rules = "1. Be kind"
    db.session.add(PlanetTag(planet_id=world.planet.id, name="社群运营"))
    db.session.commit()
    return world


def test_landing_shows_public_facts(client, world):
    response = client.get("/p/home-planet/about")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Home" in html and "Owner" in html and world.owner.display_name in html
    assert "members" in html and "topics" in html
    assert "Free" in html and "Be kind" in html and "社群运营" in html
    assert '<meta name="description" content="A planet about growth and 社群运营.">' in html


def test_paid_price_is_shown(client, world):
    world.planet.price_amount = 19900
    world.planet.currency = "cny"
    db.session.commit()
    assert "¥199" in client.get("/p/home-planet/about").get_data(as_text=True)


def test_landing_previews_only_essence_topics(client, make, world, login_as):
    planet, owner = world.planet, world.owner
    make.topic(planet, owner, f"Members only: {CANARY} in a normal topic", title="Normal")
    make.topic(planet, owner, f"Deleted essence {CANARY}", is_essence=True, deleted_at=utcnow())
    question = make.question(planet, world.member, owner, f"Unanswered {CANARY}")
    question.is_essence = True
    make.comment(make.topic(planet, owner, "plain"), world.member, f"comment {CANARY}")
    for i in range(5):
        make.topic(planet, owner, f"Essence body {i} with **bold**", title=f"Essence {i}",
                   is_essence=True)  # fmt: skip
    db.session.commit()
    for who in (None, world.outsider, world.member):
        if who is not None:
            login_as(who)
        html = client.get("/p/home-planet/about").get_data(as_text=True)
        assert CANARY not in html
        assert html.count("<li><strong>Essence") == 3  # preview_essence_count default
        assert "Essence body 4 with bold" in html and "<strong>bold</strong>" not in html
    discover = client.get("/discover").get_data(as_text=True)
    assert CANARY not in discover

    planet.preview_essence_count = 0
    db.session.commit()
    assert "Essence 4" not in client.get("/p/home-planet/about").get_data(as_text=True)


def test_buttons_by_standing(client, login_as, world):
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    assert "Log in to join" in html
    login_as(world.outsider)
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    assert 'action="/p/home-planet/join"' in html and 'name="accept_rules"' in html
    login_as(world.member)
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    assert 'action="/p/home-planet/join"' not in html
    assert 'href="/p/home-planet/leave"' in html  # asks first (payments.leave_confirm)
    login_as(world.owner)
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    assert '/p/home-planet/leave"' not in html


def test_paid_planet_links_to_checkout_when_it_exists(client, login_as, world, app):
    world.planet.price_amount = 9900
    db.session.commit()
    login_as(world.outsider)
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    assert 'action="/p/home-planet/join"' not in html
    if "payments.checkout" in app.view_functions:
        assert "/p/home-planet" in html and "checkout" in html


def test_unknown_planet_is_404(client):
    assert client.get("/p/nope/about").status_code == 404
    assert client.get("/p/nope/avatar").status_code == 404


def test_planet_without_avatar_is_404(client, world):
    assert client.get("/p/home-planet/avatar").status_code == 404


def test_expired_member_sees_renew_and_dissolved_planet_offers_nothing(
    client, login_as, world, app
):
    world.planet.price_amount = 9900
    db.session.commit()
    login_as(world.expired)
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    if "payments.checkout" in app.view_functions:
        assert "/p/home-planet/checkout" in html and "Renew" in html
    login_as(world.member)
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    assert "Go to the timeline" in html or "content.timeline" not in app.view_functions
    world.planet.dissolved_at = utcnow()
    db.session.commit()
    login_as(world.outsider)
    html = client.get("/p/home-planet/about").get_data(as_text=True)
    assert "checkout" not in html and 'action="/p/home-planet/join"' not in html
    assert "dissolved" in html


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_landing_loads_its_tags_with_the_planet(
    client, world, login_as, query_counter, signed_in
):
    if signed_in:
        login_as(world.member)
    with query_counter() as counter:
        page = client.get("/p/home-planet/about").get_data(as_text=True)
    assert "社群运营</a>" in page
    planet_queries = [sql for sql in counter.statements if "FROM planets" in sql]
    assert len(planet_queries) == 1 and "planet_tags" in planet_queries[0]
    assert not [sql for sql in counter.statements if "FROM planet_tags" in sql]
