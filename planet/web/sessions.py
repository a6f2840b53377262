"""The browser session (Flask's signed cookie) and its CSRF token, each signature worked out
once per value and process instead of on every request.

A member's browser sends the same session cookie with every request until the session
changes, and every page carries a CSRF token signed from the same secret in that session.
Checking the cookie's signature and signing the token are HMACs over the same bytes each time,
so the results are kept, bounded, per app:

* a cookie value whose signature checked out maps to its data and the time it was signed; its
  age is still checked on every request against the session lifetime, exactly as the
  serializer checks it, and the data is copied for each request;
* a session's raw CSRF token maps to its signed form for CSRF_RESIGN_SECONDS, far inside
  WTF_CSRF_TIME_LIMIT, so a page never carries a token near its end.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict

from flask import Flask, Request, current_app, g, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

from planet.web.bounded import put_newest

KEPT = 4096
CSRF_RESIGN_SECONDS = 60
_CSRF_FIELD = "csrf_token"
_SCALARS = frozenset({str, int, float, bool, type(None)})


class _Kept:
    """A bounded map, oldest first out."""

    def __init__(self) -> None:
        self.values: OrderedDict[str, tuple] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple | None:
        return self.values.get(key)

    def put(self, key: str, value: tuple) -> None:
        with self.lock:
            put_newest(self.values, key, value, KEPT)


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, its signature checked once per cookie value."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        cookies: _Kept = app.extensions["planet_session_cookies"]
        known = cookies.get(value)
        if known is None:
            serializer = self.get_signing_serializer(app)
            if serializer is None:
                return None
            try:
                data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            known = (data, signed_at.timestamp())
            cookies.put(value, known)
        data, signed_at = known
        if not 0 <= time.time() - signed_at <= max_age:
            return self.session_class()  # expired, as the serializer would have said
        if all(type(value) in _SCALARS for value in data.values()):
            return self.session_class(data)  # a copy of a dict of immutable values
        return self.session_class(copy.deepcopy(data))


def csrf_token() -> str:
    """This session's CSRF token, signed (as `generate_csrf` gives it), the signature kept a
    minute per session; `generate_csrf` later in the request returns the same token."""
    raw = session.get(_CSRF_FIELD)
    if not isinstance(raw, str) or _CSRF_FIELD in g:
        return generate_csrf()
    tokens: _Kept = current_app.extensions["planet_csrf_tokens"]
    known = tokens.get(raw)
    now = time.monotonic()
    if known is not None and now - known[1] < CSRF_RESIGN_SECONDS:
        setattr(g, _CSRF_FIELD, known[0])
        return known[0]
    token = generate_csrf()
    tokens.put(raw, (token, now))
    return token


def init_app(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
    app.extensions["planet_session_cookies"] = _Kept()
    app.extensions["planet_csrf_tokens"] = _Kept()
    app.add_template_global(csrf_token)  # in place of Flask-WTF's, which signs on every page
