"""The next-event strip and the popular hashtags are kept a few seconds per process
(planet/web/shortcache.py): pages with a warm cache run no SQL for them, and the writes that
change them show at once."""

from datetime import timedelta

from planet.content.services.topics import create_topic
from planet.engagement.events import services as events
from planet.extensions import db
from planet.models import utcnow
from planet.web import shortcache


def _timeline(client, query_counter):
    with query_counter() as counter:
        page = client.get("/p/alpha/")
    assert page.status_code == 200
    return page.get_data(as_text=True), counter.statements


def _strip(page: str) -> str:
    """The popular hashtags line (the cards show the topics' own text too)."""
    return page.split('<p class="hashtags">', 1)[1].split("</p>", 1)[0]


def _reads(statements, table: str) -> int:
    return sum(1 for sql in statements if f"FROM {table}" in sql)


def test_a_warm_strip_runs_no_sql_and_an_event_write_shows_at_once(world, as_user, query_counter):
    client = as_user(world.member)
    page, statements = _timeline(client, query_counter)
    assert "Next event" not in page and _reads(statements, "eng_events") == 1
    page, statements = _timeline(client, query_counter)
    assert _reads(statements, "eng_events") == 0  # the cached (empty) strip

    event = world.event_at("Kick-off call", utcnow() + timedelta(days=2))
    db.session.commit()
    page, statements = _timeline(client, query_counter)
    assert "Kick-off call" in page and _reads(statements, "eng_events") == 1
    page, statements = _timeline(client, query_counter)
    assert "Kick-off call" in page and _reads(statements, "eng_events") == 0

    events.cancel_event(world.planet, event, world.owner)
    db.session.commit()
    page, _ = _timeline(client, query_counter)
    assert "Kick-off call" not in page


def test_a_write_elsewhere_shows_when_the_copy_expires(world, as_user, query_counter, monkeypatch):
    """Another process's write does not invalidate this one: its copy lives at most
    SHORT_CACHE_SECONDS (the documented staleness window)."""
    client = as_user(world.member)
    _timeline(client, query_counter)
    world.event_at("Elsewhere", utcnow() + timedelta(days=2))
    db.session.commit()
    shortcache_entries = client.application.extensions["planet_short_cache"].entries
    monkeypatch.setattr(shortcache, "invalidate", lambda *key: None)  # the other process's
    shortcache_entries.clear()
    _timeline(client, query_counter)  # cached now, with the event
    world.event_at("Second", utcnow() + timedelta(hours=1))
    db.session.commit()
    page, _ = _timeline(client, query_counter)
    assert "Elsewhere" in page and "Second" not in page  # stale inside the window
    seconds = client.application.config["SHORT_CACHE_SECONDS"]
    later = shortcache.time.monotonic() + seconds + 1
    monkeypatch.setattr(shortcache.time, "monotonic", lambda: later)
    page, _ = _timeline(client, query_counter)
    assert "Second" in page


def test_popular_hashtags_are_cached_and_a_new_topic_shows_its_tag(world, as_user, query_counter):
    client = as_user(world.member)
    with client.application.test_request_context():
        create_topic(world.planet, world.owner, body="Hello #warmup")
    db.session.commit()
    page, statements = _timeline(client, query_counter)
    assert "#warmup <small>1</small></a>" in _strip(page)
    assert _reads(statements, "hashtags") == 1
    page, statements = _timeline(client, query_counter)
    assert _reads(statements, "hashtags") == 0
    with client.application.test_request_context():
        create_topic(world.planet, world.owner, body="Now #freshtag")
    db.session.commit()
    page, statements = _timeline(client, query_counter)
    assert "#freshtag <small>1</small></a>" in _strip(page)
    assert _reads(statements, "hashtags") == 1
