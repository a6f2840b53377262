"""One request lifecycle: CSRF (Flask-WTF), load, check access, work, then commit once.

Views and services never commit. After the view returns, a successful state-changing request
commits once (and only then are its deferred jobs dispatched); a GET, an error response or an
exception rolls everything back, so a failed request leaves nothing half-written and a GET never
writes.
"""

from __future__ import annotations

import functools
import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from planet import jobs, policy
from planet.dbutil import give_back_kept_connection, kept_read_only_connection
from planet.errors import ServiceError
from planet.extensions import db
from planet.web import (
    anoncache,
    chrome,
    clock,
    fragments,
    links,
    pagecache,
    pagefront,
    sessions,
    shortcache,
)

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

DEFAULT_REASONS = {
    400: lambda: _("The request could not be understood. Please check what you entered."),
    401: lambda: _("Please sign in first."),
    403: lambda: _("You do not have permission to do this."),
    404: lambda: _("We could not find that page."),
    405: lambda: _("That action is not allowed here."),
    409: lambda: _("That conflicts with what is already saved. Nothing was changed."),
    413: lambda: _("That upload is too large."),
    429: lambda: _("Too many attempts. Please wait a moment and try again."),
    500: lambda: _("Something went wrong on our side. Nothing was saved."),
}
TITLES = {
    400: lambda: _("Bad request"),
    401: lambda: _("Sign-in required"),
    403: lambda: _("Access denied"),
    404: lambda: _("Not found"),
    405: lambda: _("Not allowed"),
    409: lambda: _("Conflict"),
    413: lambda: _("Too large"),
    429: lambda: _("Slow down"),
    500: lambda: _("Server error"),
}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith("/api/") or best == "application/json" or request.is_json


def error_response(status: int, reason: str | None = None):
    reason = reason or DEFAULT_REASONS.get(status, DEFAULT_REASONS[400])()
    if wants_json():
        return jsonify(error=status, reason=reason), status
    title = TITLES.get(status, TITLES[400])()
    return render_template("errors/error.html", status=status, title=title, reason=reason), status


def _http_error(error: HTTPException):
    status = error.code or 500
    reason = error.description if _is_custom_description(error) else None
    response = make_response(error_response(status, reason))
    if status == 405 and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _is_custom_description(error: HTTPException) -> bool:
    return bool(error.description) and error.description != type(error).description


def _csrf_error(error: CSRFError):
    return error_response(
        400, _("Your form has expired or was sent from elsewhere. Reload the page and try again.")
    )


def _service_error(error: ServiceError):
    db.session.rollback()
    return error_response(error.status, str(error.reason))


def _integrity_error(error: IntegrityError):
    db.session.rollback()
    log.info("integrity error answered with 409: %s", error.orig)
    return error_response(409)


def _unexpected_error(error: InternalServerError):
    """An unhandled exception, answered with the 500 page. Flask logged it already; in debug and
    testing it re-raises the exception instead (PROPAGATE_EXCEPTIONS) and never gets here."""
    db.session.rollback()
    return error_response(500)


def _begin_read_only() -> None:
    """On PostgreSQL a GET, HEAD or OPTIONS runs without BEGIN/COMMIT (autocommit) on a
    connection whose transactions are read only by default, so the database itself refuses a
    write and the page saves two round trips.

    The default is set once per pooled connection (`SET SESSION CHARACTERISTICS`, remembered
    in the connection's info); psycopg is told at the same moment to begin every later
    transaction on it with BEGIN READ WRITE (no extra round trip), so the POSTs, jobs and
    separate write connections that reuse it write as before. Prepared statements survive,
    since nothing is rolled back.
    """
    if request.method not in SAFE_METHODS or request.endpoint == "static":
        return
    session = db.session()
    if db.engine.dialect.name != "postgresql" or session.in_transaction():
        return  # e.g. a test that holds the session open between requests
    # The thread's kept connection (no pool checkout and return for each page), joined by
    # the session for this request; closing the session leaves it open for the next one.
    session.connection(bind_arguments={"bind": kept_read_only_connection(db.engine)})
    # "closing": every object in the session is this request's (always, outside tests), so
    # the end need not expire them for a caller who shares the session.
    g.planet_read_only = "closing" if not session.identity_map else "committing"


def _end_read_only(how: str) -> None:
    """End a safe request: nothing to commit in autocommit; staged ORM changes or jobs are
    dropped (a GET never writes). Any transaction begun on another connection (say, after a
    view's explicit commit) is rolled back, as before. A session holding only this request's
    objects is closed, which gives the connection back without expiring each object."""
    session = db.session()
    if not session.in_transaction():
        return
    autocommit = getattr(session.connection().connection.dbapi_connection, "autocommit", False)
    staged = session.new or session.dirty or session.deleted or jobs.has_pending(session)
    if staged or not autocommit:
        session.rollback()
    elif how == "closing":
        session.close()
    else:
        session.commit()


def _finish_transaction(response):
    if request.method in SAFE_METHODS and response.status_code < 400 and g.get("planet_read_only"):
        return response  # ended at teardown (_end_read_only)
    if request.method in SAFE_METHODS or response.status_code >= 400:
        db.session.rollback()
        return response
    try:
        jobs.commit()
    except IntegrityError as error:
        return make_response(_integrity_error(error))
    return response


def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy", _content_security_policy(response_config("STRIPE_JS_URL"))
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if g.get("planet_gated") or current_user.is_authenticated:
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Vary"] = "Cookie"
    elif request.endpoint != "static":
        # Dynamic pages are never cached by shared caches, whoever asks (redirects included).
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


@functools.lru_cache(maxsize=8)
def _content_security_policy(stripe_js_url: str) -> str:
    stripe_origin = _origin(stripe_js_url)
    script_src = " ".join(filter(None, ["'self'", stripe_origin]))
    return (
        f"default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; frame-src 'self' {stripe_origin or ''}; "
        f"connect-src 'self' {stripe_origin or ''}; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'self'"
    )


def response_config(name: str) -> str:
    return current_app.config[name] or ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _can(action, planet, target=None) -> bool:
    """`can` for the macros a page imports without its context (the page's own is quicker:
    it reads the user once per render)."""
    return policy.may(current_user, action, planet, target)


def _template_globals():
    user = current_user._get_current_object()  # once per render, not per can()
    return {
        "can": lambda action, planet, target=None: policy.may(user, action, planet, target),
        "why_not": lambda action, planet, target=None: (
            policy.decide(user, action, planet, target).reason
        ),
        "Action": policy.Action,
        "url_rules": current_app.view_functions,
        "get_locale": get_locale,
    }


def init_app(app: Flask) -> None:
    sessions.init_app(app)
    fragments.init_app(app)
    shortcache.init_app(app)
    anoncache.init_app(app)
    pagecache.init_app(app)
    pagefront.init_app(app)  # outside the visitors' front: each hands the other's requests on
    links.init_app(app)
    clock.init_app(app)
    chrome.init_app(app)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(InternalServerError, _unexpected_error)
    app.after_request(_security_headers)
    app.after_request(_finish_transaction)
    app.context_processor(_template_globals)
    app.add_template_global(_can, "can")
    app.add_template_global(policy.Action, "Action")

    app.before_request_funcs.setdefault(None, []).insert(0, _begin_read_only)

    @app.teardown_request
    def _rollback_on_error(error):
        if error is not None:
            db.session.rollback()
            if g.pop("planet_read_only", None):
                db.session.close()
                give_back_kept_connection()
        elif how := g.pop("planet_read_only", None):
            _end_read_only(how)
