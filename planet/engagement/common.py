"""What the engagement features' views share: the blueprint, the load-and-check step, rendering,
the keyset cursor of a list page and the empty (CSRF-only) form."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm

from planet import policy
from planet.errors import ServiceError
from planet.planets.lookup import planet_or_404
from planet.web.cursors import decode_int_cursor

bp = Blueprint("engagement", __name__, url_prefix="/p/<slug>")
Action = policy.Action


class ActionForm(FlaskForm):
    """An empty form: CSRF only (buttons)."""


def load_planet(slug: str, action: Action, target=None):
    """The planet named in the URL (404 when missing), once the viewer may do `action` in it."""
    planet = planet_or_404(slug)
    policy.require(current_user, action, planet, target)
    return planet


def render(template: str, planet, status: int = 200, **context):
    """Render `templates/engagement/<template>` for a planet page."""
    return render_template(f"engagement/{template}", planet=planet, **context), status


def form_failed(form, error: ServiceError | None = None) -> int:
    """Show a service's refusal on the form; the status to answer with."""
    if error is not None:
        form.form_errors.append(str(error.reason))
        return error.status
    return 400


def after_cursor() -> int | None:
    """The keyset cursor of a list page (`?after=`)."""
    return decode_int_cursor(request.args.get("after"))
