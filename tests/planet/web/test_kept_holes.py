"""A viewer's holes kept between their hits (planet/web/pagecache.py: `filled`, `_hole`): reused
while nothing they were made from has changed, made again the moment something has (their own
row, a short-lived value they read), never kept when they ran SQL, never another viewer's."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import update

from planet.accounts.models import User
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.web import pagecache
from tests.planet.access_helpers import SecurityWorld, module_app

_TOKEN = re.compile(r'(name="csrf_token" value=")[^"]*(")')


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "keptholes") as app:
        world = SecurityWorld(app)
        world._add(world.planet, "member2")
        world._add(world.planet, "member3")  # no stake in the pages either
        db.session.commit()
        world.sign_in_everyone()
        for who in ("member2", "member3", "admin"):
            world.client(who).get(world.url())  # a browser's first page: its CSRF token
        yield world


@pytest.fixture
def calls(monkeypatch):
    """How many times each hole's function ran."""
    counted: dict[str, int] = {}
    for name, function in list(pagecache.HOLES.items()):

        def counting(values, arg, name=name, function=function):
            counted[name] = counted.get(name, 0) + 1
            return function(values, arg)

        monkeypatch.setitem(pagecache.HOLES, name, counting)
    return counted


def _store(world):
    return world.app.extensions["planet_page_cache"]


def _front_hit(world, who: str, url: str):
    before = _store(world).front_hits
    response = world.client(who).get(url)
    assert response.headers[pagecache.HEADER] == "hit"
    assert _store(world).front_hits == before + 1, "answered by the app, not the front"
    return response


def _uncached(world, who: str, url: str) -> str:
    app = world.app
    store = app.extensions.pop("planet_page_cache")
    app.extensions["planet_short_cache"].entries.clear()
    try:
        return _body(world.client(who).get(url))
    finally:
        app.extensions["planet_page_cache"] = store


def _body(response) -> str:
    return _TOKEN.sub(r"\1TOKEN\2", response.get_data(as_text=True))


def _stored(world, *urls: str, calls: dict | None = None, who: str = "member2") -> None:
    """Pages stored for `who`'s class, nothing kept, the holes' counts from zero."""
    _store(world).entries.clear()
    _store(world).kept_holes.clear()
    for url in urls:
        assert world.client(who).get(url).headers[pagecache.HEADER] == "miss"
    if calls is not None:
        calls.clear()


def test_a_viewers_holes_are_kept_for_their_next_hits_on_any_page(world, calls):
    timeline, topic = world.url(), world.url(f"t/{world.ids['topic']}")
    _stored(world, timeline, topic, calls=calls)
    first = _front_hit(world, "member2", timeline)
    filled = dict(calls)
    assert filled.get("header") == 1 and filled.get("topbar") == 1
    again = _front_hit(world, "member2", timeline)
    assert calls == filled, "the second hit filled its holes again"
    # The top bar is the same on the topic page: kept; its strip is its own.
    _front_hit(world, "member2", topic)
    assert calls["topbar"] == filled["topbar"]
    assert calls["strip"] == filled["strip"] + 1
    assert _body(again) == _body(first) == _uncached(world, "member2", timeline)


def test_each_viewer_gets_their_own_holes(world, calls):
    url = world.url()
    _stored(world, url, calls=calls)
    _front_hit(world, "member2", url)
    _front_hit(world, "member2", url)
    mine = _front_hit(world, "member3", url)
    assert calls["topbar"] == 2  # member2's once, then member3's own
    assert world.user("member3").display_name in _body(mine)
    assert world.user("member2").display_name not in _body(mine)
    assert _body(mine) == _uncached(world, "member3", url)


def test_a_change_to_the_viewers_row_fills_their_holes_again(world, calls):
    url = world.url()
    _stored(world, url, calls=calls)
    _front_hit(world, "member2", url)
    db.session.execute(
        update(User).where(User.id == world.uid("member2")).values(unread_notifications=7)
    )
    db.session.commit()
    try:
        response = _front_hit(world, "member2", url)
        assert calls["topbar"] == 2
        assert _body(response) == _uncached(world, "member2", url)
    finally:
        db.session.execute(
            update(User).where(User.id == world.uid("member2")).values(unread_notifications=0)
        )
        db.session.commit()


def test_a_kept_strip_is_filled_again_once_a_value_it_read_is_invalidated(world, calls):
    """The strip reads the planet's next events from the short-lived cache: invalidated
    there (an event created or cancelled in this process) or expired, the kept strip goes."""
    from planet.engagement.events.services import STRIP
    from planet.web import shortcache

    url = world.url()
    _stored(world, url, calls=calls)
    _front_hit(world, "member2", url)
    _front_hit(world, "member2", url)
    assert calls["strip"] == 1
    with world.app.app_context():
        shortcache.invalidate(STRIP, world.planet.id)
    _front_hit(world, "member2", url)
    assert calls["strip"] == 2
    short = world.app.extensions["planet_short_cache"]
    for key, (_, value) in list(short.entries.items()):
        short.entries[key] = (0.0, value)  # every value expired
    _front_hit(world, "member2", url)
    assert calls["strip"] == 3
    assert calls["topbar"] == 1  # read no short-lived value: still kept


def test_a_new_event_shows_on_the_next_hit(world):
    from planet.engagement.events.models import Event
    from planet.engagement.events.services import create_event

    url = world.url()
    _stored(world, url)
    _front_hit(world, "member2", url)
    assert "Launch of the kept strip" not in _body(_front_hit(world, "member2", url))
    with world.app.test_request_context():
        planet = db.session.get(Planet, world.planet.id)
        owner = db.session.get(User, world.uid("owner"))
        day = (utcnow() + timedelta(days=2)).date()
        event = create_event(
            planet, owner, title="Launch of the kept strip", local_date=day, local_time=time(9)
        )
        db.session.commit()
    try:
        world.client("author").get(url)  # a new version of the planet: stored again
        response = _front_hit(world, "member2", url)
        assert "Launch of the kept strip" in _body(response)
        assert _body(response) == _uncached(world, "member2", url)
    finally:
        db.session.delete(db.session.get(Event, event.id))
        db.session.commit()
        world.app.extensions["planet_short_cache"].entries.clear()


def test_a_hole_that_ran_sql_is_not_kept(world, calls):
    """An admin's header counts what waits for them in one statement each time: never kept."""
    url = world.url()
    _stored(world, url, calls=calls, who="admin")
    _front_hit(world, "admin", url)
    header = calls["header"]
    _front_hit(world, "admin", url)
    assert calls["header"] == header + 1
    assert calls["topbar"] == 1  # the top bar ran none: kept
