"""Drafts and scheduled posts, on the content blueprint: the author's list, editing, scheduling,
publishing now, and the "Save draft" / "Schedule" buttons of the new-topic form."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from planet.content.drafts import services
from planet.content.drafts.models import Draft
from planet.content.forms import TopicForm
from planet.content.services.topics import MAX_IMAGES
from planet.content.views.common import bp, done, topic_url, writing
from planet.errors import ServiceError
from planet.extensions import db
from planet.web import clock
from planet.web.forms import apply_service_error

INTENTS = ("publish", "draft", "schedule")
_KEY_SPLIT = re.compile(r"[\s,]+")


def intent() -> str:
    """Which button sent the topic form: publish (the default), save as draft, or schedule."""
    chosen = request.form.get("intent") or "publish"
    if chosen not in INTENTS:
        abort(400, description=_("Choose to publish, save a draft or schedule."))
    return chosen


def scheduled_time(form, planet):
    """The form's wall-clock time as a UTC instant, read in the viewer's zone; a time the clocks
    skip there (a daylight-saving gap) is refused beside the field."""
    naive = form.publish_at.data
    if naive is None:
        raise ServiceError(_l("Choose when to publish it."), field="publish_at")
    try:
        return clock.utc_from_local(naive, planet)
    except clock.NonexistentLocalTime:
        zone = clock.viewer_zone_name(planet)
        raise ServiceError(
            _l("%(time)s does not exist in %(zone)s: the clocks skip it. Choose another time.",
               time=f"{naive:%Y-%m-%d %H:%M}", zone=zone),
            field="publish_at",
        ) from None  # fmt: skip


def save_from_form(planet, form, chosen: str, draft: Draft | None = None) -> Draft:
    """Save the topic form as a draft, scheduled when `chosen` is "schedule"."""
    publish_at = scheduled_time(form, planet) if chosen == "schedule" else None
    keys = [key for key in _KEY_SPLIT.split(form.attachment_keys.data or "") if key]
    saved = services.save_draft(
        planet,
        current_user,
        title=form.title.data,
        body=form.body.data,
        announce=bool(form.announce.data),
        images=request.files.getlist("images"),
        attachment_keys=keys,
        draft=draft,
    )
    if chosen == "schedule":
        services.schedule(planet, current_user, saved, publish_at)
    return saved


def saved_redirect(planet, draft: Draft):
    if draft.publish_at is not None:
        when = clock.viewer_time(draft.publish_at, planet.timezone)
        flash(_("Scheduled: it will be published at %(time)s.", time=when), "success")
    else:
        flash(_("Saved as a draft. Only you can see it."), "success")
    return redirect(url_for("content.drafts", slug=planet.slug))


def _draft(slug: str, draft_id: int):
    """(planet, draft): the viewer's own unpublished draft (anyone else's is not found)."""
    planet = writing(slug)
    return planet, services.own(planet, current_user, db.session.get(Draft, draft_id))


@bp.get("/drafts")
def drafts(slug):
    """The viewer's own drafts (any member's: someone who lost the right to post still sees
    why their scheduled post failed, and may delete it)."""
    planet = writing(slug)
    return render_template(
        "content/drafts/list.html",
        planet=planet,
        drafts=services.open_drafts(planet, current_user),
        announcements=services.others_scheduled_announcements(planet, current_user),
        published=services.recently_published(planet, current_user),
        active_tab="content.timeline",
    )


@bp.route("/drafts/<int:draft_id>/edit", methods=["GET", "POST"])
def edit_draft(slug, draft_id):
    planet, draft = _draft(slug, draft_id)
    form = TopicForm(obj=draft)
    status = 400 if form.is_submitted() else 200
    if request.method == "GET" and draft.publish_at is not None:
        local = draft.publish_at.astimezone(clock.viewer_zone(planet.timezone))
        form.publish_at.data = local.replace(tzinfo=None)
    if form.validate_on_submit():
        chosen = intent()
        try:
            saved = save_from_form(planet, form, chosen, draft)
            if chosen == "publish":
                topic = services.publish_now(planet, current_user, saved)
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            if chosen == "publish":
                return done(_("Published."), topic_url(planet, topic))
            return saved_redirect(planet, saved)
    page = render_template(
        "content/topic_form.html",
        planet=planet,
        form=form,
        draft=draft,
        max_images=MAX_IMAGES,
        zone=clock.viewer_zone_name(planet),
    )
    return page, status


@bp.post("/drafts/<int:draft_id>/publish")
def publish_draft(slug, draft_id):
    planet, draft = _draft(slug, draft_id)
    topic = services.publish_now(planet, current_user, draft)
    return done(_("Published."), topic_url(planet, topic))


@bp.post("/drafts/<int:draft_id>/unschedule")
def unschedule_draft(slug, draft_id):
    planet, draft = _draft(slug, draft_id)
    services.unschedule(planet, current_user, draft)
    message = _("No longer scheduled: it is a draft again.")
    return done(message, url_for("content.drafts", slug=planet.slug))


@bp.post("/drafts/<int:draft_id>/delete")
def delete_draft(slug, draft_id):
    planet, draft = _draft(slug, draft_id)
    services.delete_draft(planet, current_user, draft)
    return done(_("The draft was deleted."), url_for("content.drafts", slug=planet.slug))
