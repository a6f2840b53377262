"""Introductions and the member directory: writing one's introduction, the owner's template,
the members without one and the reminder to introduce oneself.

Thin: load (lookup), check access (policy), call a service, render.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.engagement.common import (
    Action,
    ActionForm,
    after_cursor,
    bp,
    form_page,
    load_planet,
    next_cursor,
    render,
)
from planet.engagement.introductions import services
from planet.engagement.introductions.forms import IntroductionForm, TemplateForm
from planet.moderation import services as moderation
from planet.moderation.models import HeldKind, HeldPost
from planet.moderation.views import held_redirect
from planet.web import anoncache
from planet.web.forms import db_id
from planet.web.redirects import safe_next

INVITE_LATER = "intro_later"
"""Session key: ids of the planets where this browser said "not now" to the introduction."""


@bp.route("/directory")
def directory(slug):
    """A public directory's visitors without a session share a copy kept for a short time
    (planet/web/anoncache.py)."""
    return anoncache.serve(lambda: _render_directory(slug))


def _render_directory(slug):
    planet = load_planet(slug, Action.VIEW_DIRECTORY)
    text = request.args.get("q", "")[:100]
    tag = request.args.get("tag", "")[:40]
    city = request.args.get("city", "")[:60]
    # Names only for those who may see the member list (a visitor of a public directory, or a
    # member while the owner hides the list, sees introductions without names); a name typed
    # into the search box then matches nothing either.
    show_names = policy.may(current_user, Action.VIEW_ROSTER, planet)
    rows, cursor = services.search_directory(
        planet, text=text, tag=tag, city=city, after=after_cursor(), match_names=show_names
    )
    show_contacts = policy.may(current_user, Action.VIEW_CONTACTS, planet)
    mine = (
        services.introduction_of(planet.id, current_user.id)
        if current_user.is_authenticated
        else None
    )
    return render(
        "introductions/directory.html",
        planet,
        rows=rows,
        next_cursor=next_cursor(cursor),
        q=text,
        tag=tag,
        city=city,
        show_contacts=show_contacts,
        show_names=show_names,
        mine=mine,
        prompts=services.template_prompts(planet.id),
        active_tab="engagement.directory",
    )


_OTHER_FIELDS = ("city", "tags", "contact")


@bp.route("/introduction", methods=["GET", "POST"])
def introduce(slug):
    planet = load_planet(slug, Action.WRITE_INTRODUCTION)
    existing = services.introduction_of(planet.id, current_user.id)
    form = IntroductionForm()
    if request.method == "GET" and existing is not None:
        for key in (*services.SECTIONS, "city", "contact"):
            getattr(form, key).data = getattr(existing, key)
        form.tags.data = ", ".join(existing.tags or [])

    def save():
        fields = {key: form.data.get(key) for key in (*services.SECTIONS, *_OTHER_FIELDS)}
        texts = [str(value or "") for value in fields.values()]
        payload = {"fields": fields}
        held = moderation.hold_if_sensitive(
            planet, current_user, HeldKind.INTRODUCTION, payload, *texts
        )
        return held or services.write_introduction(planet, current_user, form.data)

    def done(saved):
        if isinstance(saved, HeldPost):
            return held_redirect(planet, _("introduction"))
        flash(_("Your introduction is saved."), "success")
        return redirect(url_for("engagement.directory", slug=planet.slug))

    return form_page(
        form,
        save,
        done,
        "introductions/introduce.html",
        planet,
        prompts=services.template_prompts(planet.id),
        active_tab="engagement.directory",
    )


@bp.route("/introduction/later", methods=["POST"])
def introduction_later(slug):
    """The invitation's "not now": hidden in this planet for this browser (nothing stored)."""
    planet = load_planet(slug, Action.READ)
    ActionForm().validate() or abort(400)
    later = [pid for pid in session.get(INVITE_LATER, []) if isinstance(pid, int)][-49:]
    if planet.id not in later:
        session[INVITE_LATER] = [*later, planet.id]

    landing = url_for("planets.landing", slug=planet.slug)
    back = safe_next(request.form.get("next"), landing)
    return redirect(back if back.startswith(f"/p/{planet.slug}/") else landing)


@bp.route("/directory/template", methods=["GET", "POST"])
def intro_template(slug):
    planet = load_planet(slug, Action.EDIT_SETTINGS)
    form = TemplateForm()
    if request.method == "GET":
        prompts = services.template_prompts(planet.id)
        for key in services.SECTIONS:
            getattr(form, key).data = prompts[key]

    def done(_saved):
        flash(_("The introduction template is saved."), "success")
        return redirect(url_for("engagement.missing_introductions", slug=planet.slug))

    return form_page(
        form,
        lambda: services.update_template(planet, current_user, form.data),
        done,
        "introductions/template.html",
        planet,
        active_tab="engagement.directory",
    )


@bp.route("/directory/missing")
def missing_introductions(slug):
    planet = load_planet(slug, Action.EDIT_SETTINGS)
    rows, cursor = services.members_without_introduction(planet, after=after_cursor())
    return render(
        "introductions/missing.html",
        planet,
        rows=rows,
        next_cursor=next_cursor(cursor),
        form=ActionForm(),
        active_tab="engagement.directory",
    )


@bp.route("/directory/remind", methods=["POST"])
def remind_introductions(slug):
    planet = load_planet(slug, Action.EDIT_SETTINGS)
    try:
        user_ids = [db_id(v) for v in request.form.getlist("user_id")]
    except ValueError:
        abort(400, description=_("Choose members to remind."))
    if not user_ids:
        abort(400, description=_("Choose members to remind."))
    sent = services.remind_to_introduce(planet, current_user, user_ids)
    flash(_("%(n)s reminders sent.", n=sent), "success")
    return redirect(url_for("engagement.missing_introductions", slug=planet.slug))
