"""The member page cache (planet/web/pagecache.py) can never serve one viewer's page to another:
for every cached page and every ordered pair of people (every standing, plus two more active
members with personal state of their own), B served after A's entry gets byte for byte the page
B gets with the cache off (CSRF tokens normalised). And the cache is used: a second member of
A's class is served A's entry ("hit")."""

from __future__ import annotations

import itertools
import re

import pytest

from planet.extensions import db
from planet.web import pagecache
from tests import factories
from tests.planet.access_helpers import ROLES, TAG, SecurityWorld, Snapshot, module_app

PEOPLE = (*ROLES, "author", "member2")
PAGES = {
    "timeline": "",
    "essence": "?filter=essence",
    "qa": "?filter=qa",
    "topic": "t/{topic}",
    "question": "t/{question}",
    "tag": f"tags/{TAG}",
    "author": "u/{owner}",
    "questions": "questions",
    "answered": "questions?show=answered",
    "columns": "columns",
    "faq": "faq",
}
_TOKEN = re.compile(r'(name="csrf_token" value=")[^"]*(")')


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "pagecache") as app:
        world = SecurityWorld(app)
        world.add_column()
        # A second plain member with personal state: unread notifications, a like on a
        # topic no cached page shows.
        second = world._add(world.planet, "member2")
        second.unread_notifications = 4
        world.user("member").unread_notifications = 1
        db.session.commit()
        elsewhere = factories.topic(world.planet, world.user("owner"), "Elsewhere")
        db.session.commit()
        world.ids["elsewhere"] = elsewhere.id
        world.sign_in_everyone()
        world.client("member2")
        world.snapshot = Snapshot()
        yield world


def _url(world, page: str) -> str:
    path = PAGES[page].format(
        topic=world.ids["topic"], question=world.ids["question"], owner=world.uid("owner")
    )
    return world.url(path)


def _normalised(response) -> tuple:
    body = _TOKEN.sub(r"\1TOKEN\2", response.get_data(as_text=True))
    return response.status_code, response.headers.get("Location"), body


def _store(app):
    return app.extensions["planet_page_cache"]


def _uncached(world, who: str, url: str):
    """B's page with nothing kept from anyone: no page cache, and the per-process values
    kept per standing class (the tabs) made again."""
    app = world.app
    store = app.extensions.pop("planet_page_cache")
    app.extensions["planet_short_cache"].entries.clear()
    try:
        return world.client(who).get(url)
    finally:
        app.extensions["planet_page_cache"] = store


@pytest.mark.parametrize("page", PAGES)
def test_no_viewer_is_served_another_ones_page(world, page):
    url = _url(world, page)
    alone = {who: _normalised(_uncached(world, who, url)) for who in PEOPLE}
    hits = 0
    for first, second in itertools.product(PEOPLE, PEOPLE):
        _store(world.app).entries.clear()
        world.client(first).get(url)
        response = world.client(second).get(url)
        hits += response.headers.get(pagecache.HEADER) == "hit"
        assert _normalised(response) == alone[second], (page, first, second)
    # Sharing happens: at least the two plain members share one render.
    assert hits >= 2, page


def test_a_reader_of_the_same_class_gets_the_stored_page(world):
    _store(world.app).entries.clear()
    url = _url(world, "timeline")
    assert world.client("author").get(url).headers[pagecache.HEADER] == "miss"
    assert world.client("member2").get(url).headers[pagecache.HEADER] == "hit"
    # The member asked the questions the timeline shows: their page is their own.
    assert world.client("member").get(url).headers[pagecache.HEADER] == "bypass"
    assert world.client("admin").get(url).headers[pagecache.HEADER] == "miss"
    # The person whose comment the topic page shows never gets (nor makes) a shared copy.
    topic = _url(world, "topic")
    world.client("member").get(topic)
    assert world.client("author").get(topic).headers[pagecache.HEADER] == "bypass"
