"""Discover: listed planets only, search by name (Chinese and English) and tag, keyset pages."""

from datetime import timedelta

import pytest

from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import PlanetTag
from tests.conftest import queries_by_page_size


def _counted(planet, members):
    """The factory sets member_count to 1 (the owner); set the counter the test needs."""
    planet.member_count = members
    db.session.commit()
    return planet


def _tag(planet, *names):
    for name in names:
        db.session.add(PlanetTag(planet_id=planet.id, name=name))
    db.session.commit()


@pytest.fixture
def planets(make):
    growth = _counted(make.planet(slug="growth", name="增长黑客实验室"), 50)
    _tag(growth, "社群运营", "growth")
    writing = _counted(make.planet(slug="writing", name="Writing Club"), 10)
    _tag(writing, "writing")
    python = _counted(make.planet(slug="python", name="Python Weekly"), 30)
    _tag(python, "tech", "growth")
    make.planet(slug="hidden", name="Hidden Writing", is_listed=False)
    make.planet(slug="gone", name="Gone Writing", dissolved_at=utcnow())
    return growth, writing, python


def _more_link(html):
    if '<p class="more">' not in html:
        return None
    return html.split('<p class="more">')[1].split('href="')[1].split('"')[0].replace("&amp;", "&")


def _names(response):
    html = response.get_data(as_text=True)
    return [
        part.split("<")[0]
        for part in html.split('<span class="planet-card-body">\n        <strong>')[1:]
    ]


def test_lists_public_planets_by_members(client, planets):
    response = client.get("/discover")
    assert response.status_code == 200
    assert _names(response) == ["增长黑客实验室", "Python Weekly", "Writing Club"]


def test_search_by_name_in_chinese_and_english(client, planets):
    assert _names(client.get("/discover?q=黑客")) == ["增长黑客实验室"]
    assert _names(client.get("/discover?q=writing")) == ["Writing Club"]
    assert _names(client.get("/discover?q=PYTHON")) == ["Python Weekly"]
    assert _names(client.get("/discover?q=%25")) == []
    assert _names(client.get("/discover?q=nothing-like-this")) == []


def test_filter_by_tag(client, planets):
    assert _names(client.get("/discover?tag=growth")) == ["增长黑客实验室", "Python Weekly"]
    assert _names(client.get("/discover?tag=社群运营")) == ["增长黑客实验室"]
    assert _names(client.get("/discover?tag=%23Tech")) == ["Python Weekly"]
    assert _names(client.get("/discover?tag=growth&q=python")) == ["Python Weekly"]


def test_sort_by_recent_activity(client, planets):
    growth, writing, python = planets
    now = utcnow()
    growth.last_activity_at = now - timedelta(days=3)
    writing.last_activity_at = now - timedelta(hours=1)
    python.last_activity_at = now - timedelta(days=1)
    db.session.commit()
    names = _names(client.get("/discover?sort=active"))
    assert names == ["Writing Club", "Python Weekly", "增长黑客实验室"]


@pytest.mark.parametrize("sort", ["members", "active"])
def test_keyset_pages_cover_everything_once_with_constant_queries(client, make, app, sort):
    base = utcnow()
    for i in range(23):
        planet = make.planet(
            slug=f"p-{i}", name=f"Planet {i:02d}", last_activity_at=base - timedelta(minutes=i % 5)
        )
        _counted(planet, i % 4)
    counts = queries_by_page_size(app, client, f"/discover?sort={sort}", (4, 20))
    assert counts[4] == counts[20], counts
    app.config["PAGE_SIZE"] = 4
    seen, url = [], f"/discover?sort={sort}"
    while url:
        response = client.get(url)
        seen += _names(response)
        html = response.get_data(as_text=True)
        url = _more_link(html)
    assert len(seen) == len(set(seen)) == 23


def test_bad_cursor_is_a_400(client, planets):
    assert client.get("/discover?after=x.y").status_code == 400
    assert client.get("/discover?sort=active&after=99999999999999999999.1").status_code == 400


def test_discover_needs_no_login_and_does_not_write(client, planets, query_counter):
    with query_counter() as counter:
        assert client.get("/discover?q=增长").status_code == 200
    assert not any(
        s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in counter.statements
    )
