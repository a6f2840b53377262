"""The Files tab (on the content blueprint): the list with search and kinds, uploading,
downloading through the policy, thumbnails, deleting."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.content import watermark
from planet.content.library import detect, services
from planet.content.library.forms import UploadForm
from planet.content.queries.search import clean_query
from planet.content.views.common import bp, reading, writing
from planet.engagement.insights.landing_views import count_download
from planet.errors import ServiceError
from planet.images import megabytes
from planet.moderation import services as moderation
from planet.moderation.models import HeldKind
from planet.moderation.views import held_redirect
from planet.policy import Action
from planet.web.cursors import decode_int_cursor
from planet.web.forms import apply_service_error

TAB = "content.files"


def _page(planet, form, status: int = 200):
    q = clean_query(request.args.get("q", ""))
    kind = request.args.get("kind", "")
    if kind and kind not in detect.KIND_NAMES:
        abort(400, description=_("Unknown filter."))
    rows, next_id = services.listing(
        planet, q=q, kind=kind, before=decode_int_cursor(request.args.get("before"))
    )
    page = render_template(
        "content/library/list.html",
        planet=planet,
        rows=rows,
        next_id=next_id,
        q=q,
        kind=kind,
        kinds=detect.KIND_NAMES,
        form=form,
        accept=detect.ACCEPT,
        max_mb=megabytes(services.max_bytes()),
        may_upload=policy.may(current_user, Action.UPLOAD_FILE, planet),
        active_tab=TAB,
    )
    return page, status


@bp.get("/library")
def files(slug):
    planet, away = reading(slug)
    if away:
        return away
    policy.require(current_user, Action.VIEW_FILES, planet)
    return _page(planet, UploadForm(formdata=None))


@bp.post("/library")
def upload_file(slug):
    planet = writing(slug)
    policy.require(current_user, Action.UPLOAD_FILE, planet)
    form = UploadForm()
    if not form.validate():
        return _page(planet, form, 400)
    name = services.clean_name(form.file.data.filename)
    word = moderation.word_to_review(planet, current_user, name)
    try:
        row = services.store(planet, current_user, form.file.data, listed=word is None)
    except ServiceError as error:
        return _page(planet, form, apply_service_error(form, error))
    if word is not None:
        payload = {"file_id": row.id, "title": row.name, "body": ""}
        moderation.hold(planet, current_user, HeldKind.FILE, payload, word)
        return held_redirect(planet, _("file"))
    flash(_("%(name)s is in the planet's files.", name=row.name), "success")
    return redirect(url_for("content.files", slug=planet.slug))


def _readable(slug: str, file_id: int):
    planet = writing(slug)
    row = services.file_in(planet, file_id)
    policy.require(current_user, Action.DOWNLOAD_FILE, planet, row)
    return planet, row


@bp.get("/library/<int:file_id>/download")
def download_file(slug, file_id):
    planet, row = _readable(slug, file_id)
    count_download(planet, row.id)
    if planet.watermark and row.kind in ("pdf", "image"):
        return watermark.send_marked_file(planet, row, current_user)
    return services.send(row)


@bp.get("/library/<int:file_id>/thumbnail")
def file_thumbnail(slug, file_id):
    _planet, row = _readable(slug, file_id)
    if not row.thumbnail:
        abort(404)
    response = services.send(row, services.thumbnail_key(row), "image/png")
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/library/<int:file_id>/delete")
def delete_file(slug, file_id):
    planet = writing(slug)
    row = services.file_in(planet, file_id)
    services.delete(planet, current_user, row)
    flash(_("%(name)s was deleted.", name=row.name), "success")
    return redirect(url_for("content.files", slug=planet.slug))
