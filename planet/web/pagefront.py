"""Member page hits answered in front of the app (a WSGI middleware), as the visitors' cache
does for visitors (planet/web/anoncache.py).

An area registers the reading pages whose hits the front may answer (`serve_in_front`) with a
`load`: the one statement that signs the viewer in and loads the planet and their membership
outside the ORM session, and the same access check the view makes before `pagecache.serve`.
The front then runs what `serve` runs on a hit (the key with the viewer's standing class, the
bypass for a viewer whose items or likes the page shows, the holes, the CSRF token) and answers
with the headers the app sent with the page when it stored it. Everything else goes to the
app, which answers as it would without the front: a miss, a bypass, a session that needs a
cookie (no CSRF token yet, flashed messages, remember-me), a page that must count something,
and any error (an attribute the statement did not load raises rather than reads as None).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from flask import Flask, current_app, request
from flask import session as browser_session

from planet import logs, metrics
from planet.web.anoncache import through_the_app
from planet.web.pagecache import (
    HEADER,
    STORED,
    Entry,
    LikedAny,
    Store,
    eligible,
    filled,
    page_key,
    shared_with_viewer,
)

log = logging.getLogger(__name__)
_PER_RESPONSE_HEADERS = frozenset({"content-length", "set-cookie", "x-request-id", HEADER.lower()})
"""Left out of the headers the front keeps: it makes its own (and a hit sets no cookie)."""


@dataclass(frozen=True)
class FrontPage:
    """How the front answers one endpoint's hits (`serve_in_front`)."""

    load: Callable[[Mapping], object | None]
    """Sign the viewer in from this request's session and return the planet the URL names,
    with their standing primed, or None when the app should answer (no such planet, a
    revoked session, a viewer who may not read it)."""
    liked_any: LikedAny
    answerable: Callable[[object, Mapping], bool] | None = None
    """May the front answer this hit (planet, the URL's values)? False hands it to the app,
    for work only the app does: the front never writes (a first read of a topic to count)."""


FRONT_PAGES: dict[str, FrontPage] = {}


def serve_in_front(endpoint: str, page: FrontPage) -> None:
    """Let the front answer `endpoint`'s hits: the view's own access check and key are
    `page.load` and `page_key`, and an entry is only there once the view has stored it."""
    FRONT_PAGES[endpoint] = page


class Front:
    """Answers member hits before the app's request pipeline (a WSGI middleware).

    A hit costs the request context (URL match, session cookie), one statement (`load`),
    the key and the holes: no before/after-request hooks, no view, no ORM session. It runs
    the same functions the app's `serve` does (the key, the bypass, the holes, the CSRF
    token) and answers with the headers the app sent when it stored the page, so a front
    hit is byte for byte the app's hit. Anything it cannot answer, or any error, goes to the
    app, which answers as it would without the front.
    """

    def __init__(self, app: Flask, wsgi_app) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.cookie = f"{self.cookie_name}="

    def __call__(self, environ, start_response):
        store: Store | None = self.app.extensions.get("planet_page_cache")
        if (
            store is None
            or environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_AUTHORIZATION" in environ
            or self.cookie not in environ.get("HTTP_COOKIE", "")
        ):
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        answer = self._hit(environ, started)
        if answer is None:
            return self._through_the_app(environ, start_response, store)
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def _hit(self, environ, started: float):
        # Its own app context too, so nothing it leaves in `g` (the user, standings) reaches
        # the app's request if it hands over (in tests, an outer app context would be shared).
        # The log fields bound while answering (request, planet, user) end with it.
        with logs.bound(), self.app.app_context():
            context = self.app.request_context(environ)
            context.push()
            try:
                return self._answer(started)
            except Exception:  # the app answers instead, with its error page if it fails too
                log.warning("the member page front could not answer a hit", exc_info=True)
                return None
            finally:
                context.pop()

    def _answer(self, started: float):
        page = FRONT_PAGES.get(request.endpoint)
        if page is None or request.routing_exception is not None or not _plain_session():
            return None
        store: Store = current_app.extensions["planet_page_cache"]
        latest = store.latest.get((request.endpoint, request.path, request.query_string))
        viewer_page = (request.cookies.get(self.cookie_name), request.endpoint, request.path,
                       request.query_string)  # fmt: skip
        if latest is None or store.handed_over.get(viewer_page) is latest:
            return None  # nothing stored here yet, or nothing stored since this viewer's last
        planet = page.load(request.view_args)
        if planet is not None and not self._answerable(page, planet):
            return None
        entry = store.get(page_key(planet)) if planet and eligible(planet) else None
        if entry is None or not shared_with_viewer(entry, page.liked_any):
            # No page for this viewer's class, or theirs to render: the app's, every time
            # until another page is stored here.
            store.hand_over(viewer_page, latest)
            return None
        if entry.sent_headers is None:
            return None
        response = filled(planet, entry)
        if browser_session.modified or self.app.session_interface.should_set_cookie(
            self.app, browser_session
        ):
            return None  # the app sends the cookie
        with store.lock:
            store.front_hits += 1
        request_id = logs.well_formed_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        request_id = request_id or uuid.uuid4().hex
        body = response.get_data()
        headers = [
            *entry.sent_headers,
            ("Content-Length", str(len(body))),
            (HEADER, "hit"),
            (logs.REQUEST_ID_HEADER, request_id),
        ]
        logs.bind(request_id=request_id)
        logs.log_request("GET", request.url_rule.rule, request.endpoint, 200, started)
        metrics.record_request(request.endpoint, "GET", 200, started)
        return "200 OK", headers, body

    @staticmethod
    def _answerable(page: FrontPage, planet) -> bool:
        return page.answerable is None or page.answerable(planet, request.view_args)

    def _through_the_app(self, environ, start_response, store: Store):
        body, sent = through_the_app(self.wsgi_app, environ, start_response)
        stored = environ.get(STORED)
        if stored is not None and sent and sent[0].startswith("200 "):
            _keep_sent_headers(store, *stored, sent[1])
        return body


def _plain_session() -> bool:
    """A session the front can take as it is: signed in, nothing flashed, a CSRF token
    already there, no remember-me cookie to set or clear."""
    return (
        isinstance(browser_session.get("_user_id"), str)
        and "csrf_token" in browser_session
        and "_flashes" not in browser_session
        and "_remember" not in browser_session
    )


def _keep_sent_headers(store: Store, key: tuple, entry: Entry, headers) -> None:
    kept = tuple((n, v) for n, v in headers if n.lower() not in _PER_RESPONSE_HEADERS)
    with store.lock:
        if store.entries.get(key) is entry:
            store.entries[key] = replace(entry, sent_headers=kept)


def init_app(app: Flask) -> None:
    app.wsgi_app = Front(app, app.wsgi_app)
