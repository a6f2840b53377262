"""Whole public pages (discover, a planet's landing, a public directory) kept for a short time
for visitors who carry no session: one render serves every such visitor for
ANON_CACHE_SECONDS (default 30; 0 turns it off).

Who gets a cached copy: a GET from someone signed out, without a session or remember-me
cookie (a visitor with a session may have flashed messages, a language or a referral in it).
Everyone else gets the page rendered for them, so a signed-in owner sees a settings change at
once. The key is the path, the query, the locale and the `tz` cookie (times on the page).

What is never cached: a response that sets a cookie or changed the session, a status other
than 200, a CSRF token. A page rendered for the cache carries no token: its forms (the
language switch) fetch one from `/csrf-token` when sent (static/js/app.js). Work that must
happen per request (a landing view counted for the funnel) is the caller's `on_hit`, run on
every hit with the values the render saved (`remember`).

The cache is per process. A write that changes what these pages show calls `clear()`: that
process serves the change at once, the others within ANON_CACHE_SECONDS (the staleness window
for visitors).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user

MAX_ENTRIES = 512
TZ_COOKIE_MAX = 64
_CACHED_HEADERS = ("Content-Type", "Content-Language")


@dataclass(frozen=True)
class _Entry:
    expires: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    saved: tuple[tuple[str, object], ...]


class _Store:
    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self.lock = threading.Lock()


def _store() -> _Store:
    return current_app.extensions["planet_anon_cache"]


def eligible() -> bool:
    """May this request be answered from (and fill) the cache?"""
    config = current_app.config
    if config["ANON_CACHE_SECONDS"] <= 0 or request.method != "GET":
        return False
    cookies = request.cookies
    if config["SESSION_COOKIE_NAME"] in cookies:
        return False
    if config.get("REMEMBER_COOKIE_NAME", "remember_token") in cookies:
        return False
    return not current_user.is_authenticated


def rendering_for_cache() -> bool:
    """True while a page is rendered for the cache (templates leave tokens out)."""
    return bool(g.get("planet_anon_render"))


def remember(**values) -> None:
    """Values the render keeps beside the page for `on_hit` (say, the planet's id)."""
    if rendering_for_cache():
        g.planet_anon_saved = {**g.get("planet_anon_saved", {}), **values}


def _key() -> tuple:
    tz = request.cookies.get("tz", "")[:TZ_COOKIE_MAX]
    return (request.path, request.query_string, str(get_locale()), tz)


def serve(render: Callable[[], object], on_hit: Callable[[dict], None] | None = None):
    """The response of `render()`, from the cache when this visitor may share it."""
    if not eligible():
        return render()
    store, key, now = _store(), _key(), time.monotonic()
    with store.lock:
        entry = store.entries.get(key)
    if entry is not None and entry.expires > now:
        saved = dict(entry.saved)
        if on_hit is not None:
            on_hit(saved)
        return Response(entry.body, 200, list(entry.headers))
    g.planet_anon_render = True
    try:
        response = make_response(render())
    finally:
        g.planet_anon_render = False
    if _storable(response):
        kept = tuple(
            (name, response.headers[name]) for name in _CACHED_HEADERS if name in response.headers
        )
        saved = tuple(sorted(g.get("planet_anon_saved", {}).items()))
        seconds = current_app.config["ANON_CACHE_SECONDS"]
        with store.lock:
            store.entries[key] = _Entry(now + seconds, response.get_data(), kept, saved)
            store.entries.move_to_end(key)
            while len(store.entries) > MAX_ENTRIES:
                store.entries.popitem(last=False)
    return response


def _storable(response: Response) -> bool:
    return (
        response.status_code == 200
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        and not session.modified
    )


def clear() -> None:
    """Forget every cached page in this process (a planet's public face changed)."""
    store = _store()
    with store.lock:
        store.entries.clear()


def init_app(app: Flask) -> None:
    app.extensions["planet_anon_cache"] = _Store()
    app.add_template_global(rendering_for_cache, "rendering_for_cache")
