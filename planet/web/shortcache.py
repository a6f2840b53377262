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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from flask import Flask, current_app

from planet.web.bounded import put_newest

T = TypeVar("T")
MAX_ENTRIES = 4096
Read = tuple[object, tuple, tuple[float, object]] | None
"""What `cached` gave while `recording`: (store, key, its entry), None when it built a value
it did not keep (the cache is off)."""
_reads: ContextVar[list[Read] | None] = ContextVar("planet_short_cache_reads", default=None)


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
    reads = _reads.get()
    if seconds <= 0:
        if reads is not None:
            reads.append(None)
        return build()
    store, key, now = _store(), (name, planet_id, *extra), time.monotonic()
    with store.lock:
        entry = store.entries.get(key)
        if entry is not None and entry[0] > now:
            store.entries.move_to_end(key)
            if reads is not None:
                reads.append((store, key, entry))
            return entry[1]  # type: ignore[return-value]
    entry = (now + seconds, build())
    with store.lock:
        put_newest(store.entries, key, entry, MAX_ENTRIES)
    if reads is not None:
        reads.append((store, key, entry))
    return entry[1]  # type: ignore[return-value]


@contextmanager
def recording() -> Iterator[list[Read]]:
    """The values `cached` gives inside the block, for `still_fresh` to tell later whether
    something made from them may still be shown (planet/web/pagecache.py's kept holes)."""
    reads: list[Read] = []
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


def still_fresh(reads) -> bool:
    """Is each value `recording` saw still the one `cached` would give: not expired, not
    invalidated, not rebuilt?"""
    now = time.monotonic()
    for read in reads:
        if read is None:
            return False
        store, key, entry = read
        if entry[0] <= now or store.entries.get(key) is not entry:  # type: ignore[attr-defined]
            return False
    return True


def invalidate(name: str, planet_id: int, *extra) -> None:
    """Drop this process's copy (a write changed it)."""
    store = _store()
    with store.lock:
        store.entries.pop((name, planet_id, *extra), None)


def init_app(app: Flask) -> None:
    app.extensions["planet_short_cache"] = _Store()
