"""Per-planet values kept for a few seconds in each web process: the next-event strip and the
popular hashtags, which every planet page shows and which change rarely, and values keyed by
the planet's `content_version` (a topic page's card), which no write can leave stale.

`cached(name, planet_id, build)` returns the value `build()` made at most
SHORT_CACHE_SECONDS ago in this process; the write that changes it calls
`invalidate(name, planet_id)`, so the process that served the write shows the change at once.
Other web processes show it when their copy expires: the staleness window is
SHORT_CACHE_SECONDS (default 10 s; 0 switches the cache off). Values must be immutable (tuples,
frozen records) since requests share them. Access is never cached here: the callers still ask
the policy on every request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app

T = TypeVar("T")
MAX_ENTRIES = 4096


class _Store:
    """One app's entries (a test's app never sees another's planets)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, tuple[float, object]] = OrderedDict()
        self.lock = threading.Lock()


def _store() -> _Store:
    return current_app.extensions["planet_short_cache"]


def cached(name: str, planet_id: int, build: Callable[[], T], *extra) -> T:
    """The value of `build()` for (name, planet_id, *extra), made at most the setting's
    seconds ago."""
    seconds = current_app.config["SHORT_CACHE_SECONDS"]
    if seconds <= 0:
        return build()
    store, key, now = _store(), (name, planet_id, *extra), time.monotonic()
    with store.lock:
        entry = store.entries.get(key)
        if entry is not None and entry[0] > now:
            store.entries.move_to_end(key)
            return entry[1]  # type: ignore[return-value]
    value = build()
    with store.lock:
        store.entries[key] = (now + seconds, value)
        while len(store.entries) > MAX_ENTRIES:
            store.entries.popitem(last=False)
    return value


def invalidate(name: str, planet_id: int, *extra) -> None:
    """Drop this process's copy (a write changed it)."""
    store = _store()
    with store.lock:
        store.entries.pop((name, planet_id, *extra), None)


def init_app(app: Flask) -> None:
    app.extensions["planet_short_cache"] = _Store()
