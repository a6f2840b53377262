"""The session cookie's signature checked once per value and the CSRF token's signature kept a
minute (planet/web/sessions.py): nothing the serializer and Flask-WTF refuse is let through."""

from __future__ import annotations

import time

from flask import g, request, session
from flask_wtf.csrf import validate_csrf

from planet.web import sessions
from tests.conftest import login


class _Clock:
    """time.time and time.monotonic, moved on by the test."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def time(self) -> float:
        return time.time() + self.ahead

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_kept_cookie_expires_as_a_checked_one_would(app, client, make, monkeypatch):
    login(client, make.user())
    client.get("/me/notifications")  # the first page adds the CSRF token: a new cookie
    assert client.get("/me/notifications").status_code == 200
    assert _cookie(client) in app.extensions["planet_session_cookies"].values
    clock = _Clock()
    monkeypatch.setattr(sessions, "time", clock)
    clock.ahead = app.permanent_session_lifetime.total_seconds() + 5
    response = client.get("/me/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_tampered_cookie_is_an_empty_session(app, client, make):
    login(client, make.user())
    assert client.get("/me/notifications").status_code == 200
    value = _cookie(client)
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    client.set_cookie("session", tampered)
    response = client.get("/me/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert tampered not in app.extensions["planet_session_cookies"].values


def test_a_request_that_changes_its_session_leaves_the_kept_one_alone(app, client, make):
    login(client, make.user())
    value = _cookie(client)
    headers = {"Cookie": f"session={value}"}
    with app.test_request_context("/", headers=headers):
        app.session_interface.open_session(app, request)["lang"] = "en"
    with app.test_request_context("/", headers=headers):
        opened = app.session_interface.open_session(app, request)
        assert "lang" not in opened and "_user_id" in opened


def _token_for(app, raw: str) -> str:
    """The page token of a request whose session holds `raw` (`g` as a new request has it:
    the test's app context outlives each request context)."""
    with app.test_request_context("/"):
        g.pop("csrf_token", None)
        session["csrf_token"] = raw
        token = sessions.csrf_token()
        validate_csrf(token)
        g.pop("csrf_token", None)
        return token


def test_the_signed_csrf_token_is_kept_a_minute_and_stays_valid(app, monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(sessions, "time", clock)
    kept = app.extensions["planet_csrf_tokens"].values
    first = _token_for(app, "a" * 40)
    signed_at = kept["a" * 40][1]
    assert _token_for(app, "a" * 40) == first
    assert kept["a" * 40][1] == signed_at
    clock.ahead = sessions.CSRF_RESIGN_SECONDS + 1
    _token_for(app, "a" * 40)
    assert kept["a" * 40][1] > signed_at  # signed again
    assert _token_for(app, "b" * 40) not in (first, kept["a" * 40][0])
