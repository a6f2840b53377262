"""Check-in challenges: the list, creating one, the day feed with leaderboards and calendar,
checking in, a check-in's image and a member's calendar.

Thin: load (lookup), check access (policy), call a service, render.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from planet.accounts.models import User
from planet.engagement.charts import bar_chart
from planet.engagement.checkins import services
from planet.engagement.checkins.forms import ChallengeForm, CheckInForm
from planet.engagement.checkins.models import Challenge, CheckIn
from planet.engagement.clock import local_day
from planet.engagement.common import (
    Action,
    after_cursor,
    bp,
    form_page,
    load_item,
    load_planet,
    next_cursor,
    render,
    show_created,
)
from planet.errors import Refused, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.moderation import services as moderation
from planet.moderation.models import HeldKind
from planet.moderation.views import held_redirect
from planet.web.forms import apply_service_error


@bp.route("/challenges")
def challenges(slug):
    planet = load_planet(slug, Action.READ)
    rows = db.session.scalars(
        select(Challenge)
        .where(Challenge.planet_id == planet.id)
        .order_by(Challenge.start_date.desc(), Challenge.id.desc())
        .limit(50)
    ).all()
    return render(
        "checkins/challenges.html",
        planet,
        rows=rows,
        today=local_day(planet, utcnow()),
        active_tab="engagement.challenges",
    )


@bp.route("/challenges/new", methods=["GET", "POST"])
def new_challenge(slug):
    planet = load_planet(slug, Action.MANAGE_CHALLENGES)
    form = ChallengeForm()
    if request.method == "GET":
        form.start_date.data = local_day(planet, utcnow())

    def save():
        data = services.ChallengeInput(
            title=form.title.data,
            rules=form.rules.data or "",
            start_date=form.start_date.data,
            length_days=form.length_days.data,
            late_allowed=form.late_allowed.data,
        )
        if form.window_start.data:
            data.window_start = form.window_start.data
        if form.window_end.data:
            data.window_end = form.window_end.data
        return services.create_challenge(planet, current_user, data)

    done = show_created(
        planet,
        "engagement.challenge",
        "cid",
        _("The check-in challenge is created. Members can check in from its first day."),
    )

    template = "checkins/challenge_form.html"
    return form_page(form, save, done, template, planet, active_tab="engagement.challenges")


@bp.route("/challenges/<int:cid>")
def challenge(slug, cid):
    planet, item = load_item(slug, Action.READ, Challenge, cid)
    return _challenge_page(planet, item, CheckInForm(formdata=None))


def _challenge_page(planet, item, form, status: int = 200):
    """The day feed with the check-in form (`form`: empty, or the refused check-in with its
    text and the reason beside its field)."""
    now = utcnow()
    today = local_day(planet, now)
    day = today
    if request.args.get("day"):
        try:
            day = datetime.strptime(request.args["day"], "%Y-%m-%d").date()
        except ValueError:
            abort(400, description=_("That date is not valid."))
    feed, cursor = services.day_feed(item, day, after=after_cursor())
    progress = services.progress_of(item, current_user.id)
    stats = services.daily_stats(item)
    return render(
        "checkins/challenge.html",
        planet,
        status,
        challenge=item,
        today=today,
        day=day,
        feed=feed,
        next_cursor=next_cursor(cursor),
        my_today=services.checkin_of(item, current_user.id, today),
        progress=progress,
        streak=services.effective_streak(progress, today),
        calendar=services.calendar(item, current_user.id),
        days=services.calendar_days(item),
        streak_board=services.leaderboard(item, "streak", today, 20, now),
        total_board=services.leaderboard(item, "total", today, 20, now),
        completion=services.completion_rate(item, today),
        chart=bar_chart([(d.strftime("%m-%d"), n) for d, n in stats], title=_("Check-ins per day")),
        form=form,
        active_tab="engagement.challenges",
    )


@bp.route("/challenges/<int:cid>/checkin", methods=["POST"])
def check_in(slug, cid):
    planet, item = load_item(slug, Action.CHECK_IN, Challenge, cid)
    form = CheckInForm()
    try:
        if _held(planet, item, form):
            return held_redirect(planet, _("check-in"))
        services.check_in(planet, item, current_user, form.body.data or "", image=form.image.data)
    except Refused:
        raise
    except ServiceError as error:
        # The page again with what was typed and the reason beside its field (an image too
        # large or not an image, no text): nothing is saved (the request rolls back).
        return _challenge_page(planet, item, form, apply_service_error(form, error))
    flash(_("Checked in. Keep it up!"), "success")
    return redirect(url_for("engagement.challenge", slug=planet.slug, cid=item.id))


def _held(planet, challenge, form):
    """Hold a check-in whose text has a sensitive word (its image stored now, attached on
    approval)."""
    from planet.content import uploads

    body = (form.body.data or "").strip()
    word = moderation.word_to_review(planet, current_user, body)
    if word is None:
        return None
    payload = {"challenge_id": challenge.id, "body": body}
    if uploads.has_file(form.image.data):
        stored = uploads.store_image(planet.id, current_user.id, form.image.data, field="image")
        payload["image_key"] = stored.key
    return moderation.hold(planet, current_user, HeldKind.CHECK_IN, payload, word)


@bp.route("/challenges/<int:cid>/images/<key>")
def checkin_image(slug, cid, key):
    """A check-in's image, for whoever may read the planet (the content area's file route
    shows an image that belongs to no topic only to its uploader). Looked up by the stored
    file's key, then the uploader's check-in in this challenge (both indexed)."""
    from planet.content import uploads, watermark

    planet, challenge = load_item(slug, Action.READ, Challenge, cid)
    attachment = uploads.stored_in_planet(planet.id, key)
    if attachment is None or not db.session.scalar(
        select(CheckIn.id).where(
            CheckIn.challenge_id == challenge.id,
            CheckIn.user_id == attachment.uploader_id,
            CheckIn.image_key == key,
        )
    ):
        abort(404)
    return watermark.send_to_reader(planet, attachment, current_user)


@bp.route("/challenges/<int:cid>/members/<int:user_id>")
def member_calendar(slug, cid, user_id):
    planet, item = load_item(slug, Action.READ, Challenge, cid)
    progress = services.progress_of(item, user_id)
    if progress is None:
        abort(404)
    user = db.session.get(User, user_id)
    today = local_day(planet, utcnow())
    return render(
        "checkins/member_calendar.html",
        planet,
        challenge=item,
        user=user,
        progress=progress,
        streak=services.effective_streak(progress, today),
        today=today,
        calendar=services.calendar(item, user_id),
        days=services.calendar_days(item),
        active_tab="engagement.challenges",
    )
