"""Export pages: the owner's planet export, a person's own data, and the download."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from planet import policy
from planet.errors import ServiceError
from planet.exports import services
from planet.planets.lookup import planet_or_404
from planet.storage import storage

bp = Blueprint("exports", __name__)


def _page(planet=None):
    if request.method == "POST":
        try:
            services.request_export(current_user, planet)
        except ServiceError as error:
            if error.status != 409:
                raise
            flash(str(error.reason), "error")
        else:
            flash(_("Your export is being prepared. We will e-mail you a link when it is ready."))
        return redirect(request.path)
    return render_template(
        "exports/page.html",
        planet=planet,
        exports=services.recent(current_user, planet),
        active_tab="exports.planet_export" if planet else None,
    )


@bp.route("/p/<slug>/export", methods=["GET", "POST"])
@login_required
def planet_export(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.EXPORT_PLANET, planet)
    return _page(planet)


@bp.route("/me/export", methods=["GET", "POST"])
@login_required
def my_export():
    return _page()


@bp.get("/exports/<int:export_id>/download")
@login_required
def download(export_id):
    export = services.downloadable(export_id, current_user)
    response = storage().send(export.storage_key, "application/zip")
    if response is None:
        abort(410)
    name = f"planet-export-{export.id}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
