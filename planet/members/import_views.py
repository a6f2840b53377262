"""The owner's import of existing members (upload, preview, progress, the phone links), free
seats, and the page an invited person opens (planet/members/imports.py, comp.py,
invitations.py)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from planet import policy
from planet.errors import ServiceError
from planet.extensions import db
from planet.members import comp, imports, invitations, services
from planet.members.forms import ActionForm, CompSeatForm, ImportForm, InvitationForm
from planet.members.models import ImportStatus, Invitation
from planet.members.views import _after_join_url, _valid_post, bp
from planet.planets.lookup import planet_or_404
from planet.text import csv_safe
from planet.web.clock import local_date
from planet.web.forms import apply_service_error

TAB = "members.import_members"


def _owner_planet(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.IMPORT_MEMBERS, planet)
    return planet


def _import_or_404(planet, import_id):
    member_import = imports.find_import(planet, import_id)
    if member_import is None:
        abort(404)
    return member_import


@bp.route("/p/<slug>/members/import", methods=["GET", "POST"])
def import_members(slug):
    planet = _owner_planet(slug)
    form = ImportForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            upload = form.file.data
            data = upload.stream.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
            try:
                member_import = imports.preview_import(planet, current_user, upload.filename, data)
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                return redirect(
                    url_for("members.import_preview", slug=slug, import_id=member_import.id)
                )
        else:
            status = 400
    return render_template(
        "members/import.html",
        planet=planet,
        form=form,
        recent=imports.recent_imports(planet),
        active_tab=TAB,
    ), status


@bp.get("/p/<slug>/members/import/<int:import_id>")
def import_preview(slug, import_id):
    planet = _owner_planet(slug)
    member_import = _import_or_404(planet, import_id)
    return render_template(
        "members/import_preview.html",
        planet=planet,
        member_import=member_import,
        report=imports.report_of(member_import),
        error_codes=imports.ERROR_CODES,
        Status=ImportStatus,
        active_tab=TAB,
    )


@bp.post("/p/<slug>/members/import/<int:import_id>/start")
def start_import(slug, import_id):
    planet = _owner_planet(slug)
    _valid_post(ActionForm())
    member_import = _import_or_404(planet, import_id)
    if imports.start_import(planet, current_user, member_import, locale=str(get_locale())):
        flash(_("The invitations are being sent."), "success")
    return redirect(url_for("members.import_preview", slug=slug, import_id=import_id))


@bp.get("/p/<slug>/members/import/<int:import_id>/links.csv")
def import_links(slug, import_id):
    """The invitations of an import, with the link of each phone-only person (no mail reaches
    them: the owner passes it on). Names are defused for spreadsheets."""
    planet = _owner_planet(slug)
    member_import = _import_or_404(planet, import_id)
    rows = db.session.scalars(
        select(Invitation).where(Invitation.import_id == member_import.id).order_by(Invitation.id)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "contact", "paid_until", "role", "accepted", "link"])
    for invitation in rows:
        link = (
            invitations.invitation_url(planet, invitation.id)
            if invitation.contact_kind == "phone"
            else ""
        )
        writer.writerow(
            [
                csv_safe(invitation.name),
                csv_safe(invitation.contact),
                local_date(invitations.paid_until(invitation), planet),
                invitation.role,
                "yes" if invitation.accepted_at else "no",
                link,
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so Excel reads the Chinese names as UTF-8
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{planet.slug}-import-{import_id}.csv"'
        },
    )


@bp.route("/p/<slug>/invitation/<token>", methods=["GET", "POST"])
def invitation(slug, token):
    """An invited person's page: sign up or sign in, then accept (once)."""
    planet = planet_or_404(slug)
    invite = invitations.invitation_for(planet, token)
    if invite is None:
        abort(404)
    form = InvitationForm()
    status = 200
    if request.method == "POST":
        _valid_post(form)
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        try:
            invitations.accept_invitation(
                planet, current_user, invite, rules_accepted=form.accept_rules.data
            )
        except services.RulesNotAccepted as error:
            status = apply_service_error(form, error)
        else:
            flash(_("Welcome to %(name)s!", name=planet.name), "success")
            return redirect(_after_join_url(planet))
    used_by_me = (
        invite.accepted_at is not None
        and current_user.is_authenticated
        and invite.accepted_by_id == current_user.id
    )
    if invite.accepted_at is not None and not used_by_me:
        status = 409
    return render_template(
        "members/invitation.html",
        planet=planet,
        invite=invite,
        form=form,
        paid_until=invitations.paid_until(invite),
        used_by_me=used_by_me,
        token=token,
    ), status


@bp.route("/p/<slug>/members/free-seats", methods=["GET", "POST"])
def comp_seats(slug):
    """Grant a free membership (a guest, a partner, a prize) and see those granted."""
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.GRANT_COMP_SEAT, planet)
    form = CompSeatForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                comp.grant_comp_seat(
                    planet,
                    current_user,
                    form.email.data,
                    form.until.data,
                    form.note.data or "",
                    locale=str(get_locale()),
                )
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                flash(_("The invitation to a free seat was sent."), "success")
                return redirect(url_for("members.comp_seats", slug=slug))
        else:
            status = 400
    return render_template(
        "members/comp_seats.html",
        planet=planet,
        form=form,
        seats=comp.comp_seats(planet),
        counts=comp.seat_counts(planet),
        paid_until=invitations.paid_until,
        active_tab="members.comp_seats",
    ), status
