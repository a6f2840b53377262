"""Site-wide pages: home, language switch, health."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select, text

from planet.extensions import db
from planet.web.forms import LanguageForm
from planet.web.redirects import safe_next

bp = Blueprint("web", __name__)


@bp.get("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("planets.mine"))
    return redirect(url_for("discovery.discover"))


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            current_user.locale = form.lang.data
    referrer = request.referrer or ""
    back = "/" + referrer[len(request.host_url) :] if referrer.startswith(request.host_url) else ""
    return redirect(safe_next(back))


@bp.get("/csrf-token")
def csrf_token():
    """A token for a form on a page served from the visitors' cache (planet/web/anoncache.py),
    fetched when the form is sent; it sets this browser's own session cookie."""
    return jsonify(token=generate_csrf())


@bp.get("/healthz")
def health():
    """Database, Redis and worker heartbeat; 200 when the database answers."""
    checks = {"database": _check_database()}
    probe = current_app.extensions.get("planet_health_probes", {})
    for name, func in probe.items():
        checks[name] = func()
    status = 200 if checks["database"] == "ok" else 503
    return jsonify(checks), status


def _check_database() -> str:
    try:
        db.session.execute(select(text("1")))
        return "ok"
    except Exception as error:  # report, don't crash, the health page
        return f"error: {type(error).__name__}"
