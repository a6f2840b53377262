"""What the engagement features' views share: the blueprint, the load-and-check step, rendering,
a form page's validate-save-or-show-the-refusal step, the keyset cursor of a list page and the
empty (CSRF-only) form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from planet import policy
from planet.errors import ServiceError
from planet.planets.lookup import in_planet_or_404, planet_or_404
from planet.web.cursors import decode_int_cursor, encode
from planet.web.forms import apply_service_error

bp = Blueprint("engagement", __name__, url_prefix="/p/<slug>")
Action = policy.Action


class ActionForm(FlaskForm):
    """An empty form: CSRF only (buttons)."""


def load_planet(slug: str, action: Action, target=None):
    """The planet named in the URL (404 when missing), once the viewer may do `action` in it."""
    planet = planet_or_404(slug)
    policy.require(current_user, action, planet, target)
    return planet


def load_item(slug: str, action: Action, model, item_id: int):
    """(planet, item): the planet once the viewer may do `action` in it, then the `model` row
    `item_id` of that planet (404 when missing or in another planet)."""
    planet = load_planet(slug, action)
    return planet, in_planet_or_404(model, item_id, planet)


def render(template: str, planet, status: int = 200, **context):
    """Render `templates/engagement/<template>` for a planet page."""
    return render_template(f"engagement/{template}", planet=planet, **context), status


def form_page(form, save, done, template: str, planet, **context):
    """A create/edit page: on a POST whose form validates, `save()` (a service call) and answer
    `done(its result)` (a redirect); else render `template` with the form: 200 on GET, 400 on
    invalid input, a service's refusal shown on the form (`apply_service_error`) with its
    status."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                result = save()
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                return done(result)
    return render(template, planet, status, form=form, **context)


def after_cursor() -> int | None:
    """The keyset cursor of a list page (`?after=`)."""
    return decode_int_cursor(request.args.get("after"))


def show_created(planet, endpoint: str, id_name: str, message: str):
    """A form_page `done`: say what happened (`message`, a flash) and redirect to the created
    item's page (`endpoint`, the item's id as its `id_name` argument)."""

    def done(item):
        flash(message, "success")
        return redirect(url_for(endpoint, slug=planet.slug, **{id_name: item.id}))

    return done


def next_cursor(cursor: int | tuple[int, ...] | None) -> str | None:
    """The `?after=` value of a list's next page, from its last row's sort key (an id, or a tuple
    of them); None on the last page."""
    if not cursor:
        return None
    return encode(*cursor) if isinstance(cursor, tuple) else encode(cursor)
