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

Hits are answered in front of Flask (`Front`, a WSGI middleware): once a page's first render
has gone through the whole app, the front keeps the headers the app sent with it (security
headers and all, the request id excepted) and answers the next visitors with the same key
itself, without the request machinery, the session, the login or a database connection. It
still gives each hit its own request id, its log line and its metrics, asks the entry's
`shared_when` whether this visitor may take the copy, and runs `on_hit`. Until then, and for
anything it cannot answer, the request goes to the app, where `serve` answers it as before.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from flask import Flask, Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Request

from planet import i18n, logs, metrics
from planet.web.bounded import put_newest

log = logging.getLogger(__name__)
MAX_ENTRIES = 512
TZ_COOKIE_MAX = 64
_CACHED_HEADERS = ("Content-Type", "Content-Language")
_STORED = "planet.anon_cache_stored"
"""The environ key under which `serve` leaves (key, entry) of the page it has just stored, for
the front to add the headers the app sent."""

OnHit = Callable[[dict, Request], None]
"""Work done on every hit: (the values the render saved, the visitor's request)."""
SharedWhen = Callable[[Request], bool]
"""May this visitor's request take the shared copy? (Else it is rendered for them.)"""


@dataclass(frozen=True)
class _Entry:
    expires: float
    body: bytes
    headers: tuple[tuple[str, str], ...]
    saved: tuple[tuple[str, object], ...]
    on_hit: OnHit | None
    shared_when: SharedWhen | None
    endpoint: str
    rule: str
    sent_headers: tuple[tuple[str, str], ...] | None = None
    """Every header the app sent with the page (set once it has): the front's hits."""

    def takes(self, visitor: Request, now: float) -> bool:
        return self.expires > now and (self.shared_when is None or self.shared_when(visitor))


class _Store:
    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self.lock = threading.Lock()


def _store() -> _Store:
    return current_app.extensions["planet_anon_cache"]


def eligible() -> bool:
    """May this request be answered from (and fill) the cache?"""
    return _eligible(request, current_app.config) and not current_user.is_authenticated


def _eligible(visitor: Request, config) -> bool:
    if config["ANON_CACHE_SECONDS"] <= 0 or visitor.method != "GET":
        return False
    if "HTTP_AUTHORIZATION" in visitor.environ:
        return False
    cookies = visitor.cookies
    if config["SESSION_COOKIE_NAME"] in cookies:
        return False
    return config.get("REMEMBER_COOKIE_NAME", "remember_token") not in cookies


def rendering_for_cache() -> bool:
    """True while a page is rendered for the cache (templates leave tokens out)."""
    return bool(g.get("planet_anon_render"))


def remember(**values) -> None:
    """Values the render keeps beside the page for `on_hit` (say, the planet's id)."""
    if rendering_for_cache():
        g.planet_anon_saved = {**g.get("planet_anon_saved", {}), **values}


def _key(visitor: Request, locale: str) -> tuple:
    tz = visitor.cookies.get("tz", "")[:TZ_COOKIE_MAX]
    return (visitor.path, visitor.query_string, locale, tz)


def serve(
    render: Callable[[], object],
    on_hit: OnHit | None = None,
    shared_when: SharedWhen | None = None,
):
    """The response of `render()`, from the cache when this visitor may share it (and
    `shared_when` says their request may)."""
    if not eligible() or (shared_when is not None and not shared_when(request)):
        return render()
    store, key, now = _store(), _key(request, str(get_locale())), time.monotonic()
    with store.lock:
        entry = store.entries.get(key)
    if entry is not None and entry.expires > now:
        if on_hit is not None:
            on_hit(dict(entry.saved), request)
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
        rule = request.url_rule.rule if request.url_rule is not None else ""
        entry = _Entry(
            now + seconds,
            response.get_data(),
            kept,
            saved,
            on_hit,
            shared_when,
            request.endpoint or "",
            rule,
        )
        with store.lock:
            put_newest(store.entries, key, entry, MAX_ENTRIES)
        request.environ[_STORED] = (key, entry)
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


class Front:
    """Answers visitors' hits before the app (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.store: _Store = app.extensions["planet_anon_cache"]

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        visitor = Request(environ, shallow=True)  # never reads a body
        config = self.app.config
        if not _eligible(visitor, config):
            return self.wsgi_app(environ, start_response)
        key = _key(visitor, i18n.browser_locale(visitor, config))
        with self.store.lock:
            entry = self.store.entries.get(key)
        if (
            entry is None
            or entry.sent_headers is None
            or not entry.takes(visitor, time.monotonic())
        ):
            return self._through_the_app(environ, start_response, key)
        request_id = logs.well_formed_request_id(visitor.headers.get(logs.REQUEST_ID_HEADER))
        request_id = request_id or uuid.uuid4().hex
        with self.app.app_context(), logs.bound(request_id=request_id):
            counted = self._ran_on_hit(entry, visitor)
            if counted:
                headers = [*entry.sent_headers, (logs.REQUEST_ID_HEADER, request_id)]
                start_response("200 OK", headers)
                logs.log_request("GET", entry.rule, entry.endpoint, 200, started)
                metrics.record_request(entry.endpoint, "GET", 200, started)
        if not counted:
            return self.wsgi_app(environ, start_response)  # answered as without the front
        return [entry.body]

    @staticmethod
    def _ran_on_hit(entry: _Entry, visitor: Request) -> bool:
        if entry.on_hit is None:
            return True
        try:
            entry.on_hit(dict(entry.saved), visitor)
        except Exception:  # the app answers instead, with its own error page if it fails too
            log.warning("the visitors' cache front could not count a hit", exc_info=True)
            return False
        return True

    def _through_the_app(self, environ, start_response, key: tuple):
        body, sent = through_the_app(self.wsgi_app, environ, start_response)
        stored = environ.get(_STORED)
        if stored is not None and stored[0] == key and sent and sent[0].startswith("200 "):
            headers = tuple(
                (name, value) for name, value in sent[1] if name != logs.REQUEST_ID_HEADER
            )
            if all(name.lower() != "set-cookie" for name, _ in headers):
                with self.store.lock:
                    if self.store.entries.get(key) is stored[1]:
                        self.store.entries[key] = replace(stored[1], sent_headers=headers)
        return body


def through_the_app(wsgi_app, environ, start_response) -> tuple:
    """(the body, [status, headers]) of `wsgi_app`'s answer, passed on as it is: a front
    keeps the headers the app sent with a page it stored."""
    sent: list = []

    def keep_headers(status, headers, exc_info=None):
        sent[:] = [status, headers]
        return start_response(status, headers, exc_info)

    return wsgi_app(environ, keep_headers), sent


def init_app(app: Flask) -> None:
    app.extensions["planet_anon_cache"] = _Store()
    app.wsgi_app = Front(app, app.wsgi_app)
    app.add_template_global(rendering_for_cache, "rendering_for_cache")
