"""Landing-page views for the join funnel, members' topic reads for the owner's weekly report,
and downloads of the planet's files, counted without a write in the page's transaction.

A GET never writes in its own (read-only) transaction, so a view is noted outside it:

- with Redis (REDIS_URL), on a list every web process shares, capped at MAX_REDIS_VIEWS; the
  worker's periodic `flush_landing_views` moves it into the funnel tables;
- without Redis (the embedded default: `./scripts/run`, where the worker is another process and
  cannot see this one's memory), or when Redis is down, in a bounded in-process buffer that the
  same request empties after its view, in a transaction of its own on a separate connection.

Either way a view reaches the database in every configuration, and no buffer grows without
bound: past its cap the oldest views are dropped (and logged), never the page.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict, deque
from datetime import date, datetime

from flask import after_this_request, current_app, g, has_app_context, has_request_context
from sqlalchemy import update
from sqlalchemy.orm import Session

from planet.dbutil import insert_ignore
from planet.engagement.clock import local_day
from planet.engagement.insights.health import record_funnel_visit
from planet.engagement.insights.models import FunnelSource, FunnelStage, TopicRead
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.web.bounded import put_newest

log = logging.getLogger(__name__)
REDIS_VIEWS_KEY = "planet:engagement:landing_views"
MAX_BUFFERED_VIEWS = 10_000
"""The in-process buffer's cap (views waiting for their request to write them)."""
MAX_REDIS_VIEWS = 1_000_000
"""The Redis list's cap (views waiting for the worker)."""

READ = "read"
DOWNLOAD = "download"
"""First field of a file download's item: (DOWNLOAD, file id)."""
"""First field of a topic read's item: (READ, planet id, topic id, user id, local day); a
landing view's item is (planet id, source, visitor key, local day)."""

_buffer: deque[tuple] = deque(maxlen=MAX_BUFFERED_VIEWS)
MAX_NOTED_VIEWS = 50_000
"""Views and reads an app already noted (bounded, in app.extensions): a reload costs no write."""
_lock = threading.Lock()


def _redis():
    """The app's Redis client for views, made once: its connection pool is kept, so a view
    costs one round trip instead of a new connection (redis-py resets the pool after a fork)."""
    url = current_app.config.get("REDIS_URL") if has_app_context() else None
    if not url:
        return None
    clients = current_app.extensions.setdefault("planet_view_redis", {})
    client = clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        clients[url] = client
    return client


def buffered_count() -> int:
    with _lock:
        return len(_buffer)


def count_landing_view(planet: Planet, source, visitor_key: str, at: datetime | None = None):
    """Note one landing-page view of `planet` (the funnel counts each visitor once a day, under
    the source of their first view, so a later view that day is not noted at all)."""
    day = local_day(planet, at or utcnow()).isoformat()
    source = str(FunnelSource(source))
    if _first_time((planet.id, visitor_key[:64], day)):
        _note((planet.id, source, visitor_key[:64], day))


def count_topic_read(planet: Planet, topic_id: int, user_id: int, at: datetime | None = None):
    """Note that a member read a topic (counted once per topic, member and local day)."""
    item = _read_item(planet, topic_id, user_id, at)
    if _first_time(item):
        _note(item)


def topic_read_noted(planet: Planet, topic_id: int, user_id: int) -> bool:
    """Has this app already noted that read today (a reload: nothing to count)?"""
    item = _read_item(planet, topic_id, user_id, None)
    with _lock:
        return item in current_app.extensions.get("planet_noted_views", ())


def _read_item(planet: Planet, topic_id: int, user_id: int, at: datetime | None) -> tuple:
    return (READ, planet.id, topic_id, user_id, local_day(planet, at or utcnow()).isoformat())


def _first_time(item: tuple) -> bool:
    """Whether this app has not noted `item` yet (a view or read the database would count
    only once): a reload costs no write. Bounded, oldest forgotten first."""
    with _lock:
        noted = current_app.extensions.setdefault("planet_noted_views", OrderedDict())
        if item in noted:
            return False
        put_newest(noted, item, None, MAX_NOTED_VIEWS)
    return True


def _note(item: tuple) -> None:
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            pipe.rpush(REDIS_VIEWS_KEY, json.dumps(item))
            pipe.ltrim(REDIS_VIEWS_KEY, -MAX_REDIS_VIEWS, -1)
            pipe.execute()
            return
        except Exception:  # Redis down: keep the view in memory rather than fail the page
            log.warning("landing view kept in memory: Redis unavailable", exc_info=True)
    _keep(item)
    if has_request_context() and not g.get("planet_views_flush"):
        g.planet_views_flush = True
        engine = db.engine

        @after_this_request
        def _flush(response):
            flush_buffered_views(engine)
            return response


def _keep(item) -> None:
    with _lock:
        if len(_buffer) == _buffer.maxlen:
            log.warning("landing-view buffer full: the oldest view is dropped")
        _buffer.append(item)


def count_download(planet: Planet, file_id: int) -> None:
    """One more download of a file of the library (every download counts)."""
    _note((DOWNLOAD, file_id))


def flush_buffered_views(engine) -> int:
    """Write this process's buffered views in a transaction of their own on `engine` (not the
    request's session, whose GET transaction is read-only). Returns how many visitors were new;
    on a database error the views go back to the buffer (it stays bounded) and 0 is returned."""
    with _lock:
        items = list(_buffer)
        _buffer.clear()
    if not items:
        return 0
    try:
        with Session(bind=engine) as session, session.begin():
            return _record(session, items)
    except Exception:
        log.warning("landing views not written yet; kept for the next request", exc_info=True)
        with _lock:
            room = MAX_BUFFERED_VIEWS - len(_buffer)
            if room > 0:
                _buffer.extendleft(reversed(items[-room:]))
        return 0


def _record(session, items) -> int:
    recorded = 0
    for item in items:
        if item[0] == DOWNLOAD:
            _count_download(session, item[1])
            continue
        if item[0] == READ:
            _, planet_id, topic_id, user_id, day = item
            row = dict(planet_id=planet_id, topic_id=topic_id, user_id=user_id)
            row["day"] = date.fromisoformat(day)
            if insert_ignore(TopicRead, row, ["topic_id", "user_id", "day"], session):
                recorded += 1
            continue
        planet_id, source, key, day = item
        if record_funnel_visit(
            session, planet_id, FunnelStage.VIEW, source, key, date.fromisoformat(day)
        ):
            recorded += 1
    return recorded


def _count_download(session, file_id: int) -> None:
    from planet.content.library.models import PlanetFile

    session.execute(
        update(PlanetFile)
        .where(PlanetFile.id == file_id)
        .values(download_count=PlanetFile.download_count + 1)
        .execution_options(synchronize_session=False)
    )


def flush_landing_views(now: datetime | None = None, batch: int = 5000) -> dict:
    """The worker's periodic flush: move the views waiting on Redis (and any in this process)
    into the funnel tables. Flushes; the caller commits."""
    items = []
    with _lock:
        items.extend(_buffer)
        _buffer.clear()
    client = _redis()
    if client is not None:
        try:
            popped = client.lpop(REDIS_VIEWS_KEY, batch) or []
            items.extend(_decode(p) for p in popped)
        except Exception:
            log.warning("could not read buffered landing views from Redis", exc_info=True)
    recorded = _record(db.session, [item for item in items if item is not None])
    db.session.flush()
    return {"views": len(items), "recorded": recorded}


def _decode(raw) -> tuple | None:
    """A view from Redis: [planet id, source, visitor, local day] (or, as written before,
    with the UTC instant in place of the day), or a topic read."""
    fields = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    if fields[0] in (READ, DOWNLOAD):
        return tuple(fields)
    planet_id, source, key, when = fields
    if len(when) > 10:
        planet = db.session.get(Planet, planet_id)
        if planet is None:
            return None
        when = local_day(planet, datetime.fromisoformat(when)).isoformat()
    return planet_id, source, key, when
