"""Community-life pages. Thin: load (lookup), check access (policy), call a service, render."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from planet import policy
from planet.accounts.models import User
from planet.engagement import (
    activity,  # noqa: F401  (registers the job handlers)
    checkins,
    events,
    health,
    health_snapshot,
    introductions,
    points,
    polls,
)
from planet.engagement import forms as f
from planet.engagement import homework as homework_mod
from planet.engagement.charts import bar_chart
from planet.engagement.clock import local_day, planet_tz, to_utc
from planet.engagement.models import (
    Assignment,
    Challenge,
    CheckIn,
    Event,
    Lottery,
    LotteryEligibility,
    PeriodKind,
    Poll,
    Recurrence,
    ResultsVisibility,
    Submission,
)
from planet.errors import ServiceError
from planet.extensions import db
from planet.members import services as members
from planet.models import utcnow
from planet.planets.models import Membership
from planet.web.cursors import decode_int_cursor, decode_ints, encode
from planet.web.lookup import in_planet_or_404, planet_or_404
from planet.web.redirects import safe_next

bp = Blueprint("engagement", __name__, url_prefix="/p/<slug>")
Action = policy.Action


def _planet(slug: str, action: Action, target=None):
    planet = planet_or_404(slug)
    policy.require(current_user, action, planet, target)
    return planet


def _render(template: str, planet, status: int = 200, **context):
    return render_template(f"engagement/{template}", planet=planet, **context), status


def _form_failed(form, error: ServiceError | None = None) -> int:
    if error is not None:
        form.form_errors.append(str(error.reason))
        return error.status
    return 400


def _after() -> int | None:
    return decode_int_cursor(request.args.get("after"))


INVITE_LATER = "intro_later"
"""Session key: ids of the planets where this browser said "not now" to the introduction."""


@bp.app_template_global("engagement_strip")
def community_strip(planet) -> dict:
    """Under the planet header: the countdown to the next event ("next": event, start,
    countdown, or None) and whether to invite the viewer to introduce themselves ("invite":
    on the planet's home page, where joining lands, to a member without an introduction who
    has not said "not now"). One SQL statement, as the header is on every planet page. Reads
    only."""
    strip = {"next": None, "invite": False}
    if not policy.may(current_user, Action.READ, planet):
        return strip
    now = utcnow()
    may_invite = (
        request.endpoint == "content.timeline"
        and planet.id not in session.get(INVITE_LATER, ())
        and policy.may(current_user, Action.WRITE_INTRODUCTION, planet)
    )
    if may_invite:
        upcoming, introduced = events.upcoming_with(
            planet, now, introductions.has_introduction(planet.id, current_user.id), limit=5
        )
        strip["invite"] = not introduced
    else:
        upcoming = events.upcoming(planet, now, limit=5)
    if upcoming:
        event, start = upcoming[0]
        strip["next"] = {"event": event, "start": start, "countdown": events.countdown(start, now)}
    return strip


@bp.app_template_filter("planet_time")
def planet_time(moment: datetime, planet, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(planet_tz(planet)).strftime(fmt) if moment else ""


# ---------------------------------------------------------------- introductions & directory


@bp.route("/directory")
def directory(slug):
    planet = _planet(slug, Action.VIEW_DIRECTORY)
    text = request.args.get("q", "")[:100]
    tag = request.args.get("tag", "")[:40]
    city = request.args.get("city", "")[:60]
    # Names only for those who may see the member list (a visitor of a public directory, or a
    # member while the owner hides the list, sees introductions without names); a name typed
    # into the search box then matches nothing either.
    show_names = policy.may(current_user, Action.VIEW_ROSTER, planet)
    rows, cursor = introductions.search_directory(
        planet, text=text, tag=tag, city=city, after=_after(), match_names=show_names
    )
    show_contacts = policy.may(current_user, Action.VIEW_CONTACTS, planet)
    mine = (
        introductions.introduction_of(planet.id, current_user.id)
        if current_user.is_authenticated
        else None
    )
    return _render(
        "directory.html", planet, rows=rows, next_cursor=encode(cursor) if cursor else None,
        q=text, tag=tag, city=city, show_contacts=show_contacts, show_names=show_names,
        mine=mine, prompts=introductions.template_prompts(planet.id),
        active_tab="engagement.directory",
    )  # fmt: skip


@bp.route("/introduction", methods=["GET", "POST"])
def introduce(slug):
    planet = _planet(slug, Action.WRITE_INTRODUCTION)
    existing = introductions.introduction_of(planet.id, current_user.id)
    form = f.IntroductionForm()
    status = 200
    if request.method == "GET" and existing is not None:
        for key in (*introductions.SECTIONS, "city", "contact"):
            getattr(form, key).data = getattr(existing, key)
        form.tags.data = ", ".join(existing.tags or [])
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                introductions.write_introduction(planet, current_user, form.data)
            except ServiceError as error:
                status = _form_failed(form, error)
            else:
                flash(_("Your introduction is saved."), "success")
                return redirect(url_for("engagement.directory", slug=planet.slug))
    return _render(
        "introduce.html", planet, status, form=form,
        prompts=introductions.template_prompts(planet.id), active_tab="engagement.directory",
    )  # fmt: skip


@bp.route("/introduction/later", methods=["POST"])
def introduction_later(slug):
    """The invitation's "not now": hidden in this planet for this browser (nothing stored)."""
    planet = _planet(slug, Action.READ)
    f.ActionForm().validate() or abort(400)
    later = [pid for pid in session.get(INVITE_LATER, []) if isinstance(pid, int)][-49:]
    if planet.id not in later:
        session[INVITE_LATER] = [*later, planet.id]

    landing = url_for("planets.landing", slug=planet.slug)
    back = safe_next(request.form.get("next"), landing)
    return redirect(back if back.startswith(f"/p/{planet.slug}/") else landing)


@bp.route("/directory/template", methods=["GET", "POST"])
def intro_template(slug):
    planet = _planet(slug, Action.EDIT_SETTINGS)
    form = f.TemplateForm()
    status = 200
    if request.method == "GET":
        prompts = introductions.template_prompts(planet.id)
        for key in introductions.SECTIONS:
            getattr(form, key).data = prompts[key]
    elif form.validate():
        introductions.update_template(planet, current_user, form.data)
        flash(_("The introduction template is saved."), "success")
        return redirect(url_for("engagement.missing_introductions", slug=planet.slug))
    else:
        status = 400
    return _render("template.html", planet, status, form=form, active_tab="engagement.directory")


@bp.route("/directory/missing")
def missing_introductions(slug):
    planet = _planet(slug, Action.EDIT_SETTINGS)
    rows, cursor = introductions.members_without_introduction(planet, after=_after())
    return _render(
        "missing.html", planet, rows=rows, next_cursor=encode(cursor) if cursor else None,
        form=f.ActionForm(), active_tab="engagement.directory",
    )  # fmt: skip


@bp.route("/directory/remind", methods=["POST"])
def remind_introductions(slug):
    planet = _planet(slug, Action.EDIT_SETTINGS)
    try:
        user_ids = [int(v) for v in request.form.getlist("user_id")]
    except ValueError:
        abort(400, description=_("Choose members to remind."))
    if not user_ids:
        abort(400, description=_("Choose members to remind."))
    sent = introductions.remind_to_introduce(planet, current_user, user_ids)
    flash(_("%(n)s reminders sent.", n=sent), "success")
    return redirect(url_for("engagement.missing_introductions", slug=planet.slug))


# ---------------------------------------------------------------- check-ins


@bp.route("/challenges")
def challenges(slug):
    planet = _planet(slug, Action.READ)
    rows = db.session.scalars(
        select(Challenge)
        .where(Challenge.planet_id == planet.id)
        .order_by(Challenge.start_date.desc(), Challenge.id.desc())
        .limit(50)
    ).all()
    return _render(
        "challenges.html", planet, rows=rows, today=local_day(planet, utcnow()),
        active_tab="engagement.challenges",
    )  # fmt: skip


@bp.route("/challenges/new", methods=["GET", "POST"])
def new_challenge(slug):
    planet = _planet(slug, Action.MANAGE_CHALLENGES)
    form = f.ChallengeForm()
    if request.method == "GET":
        form.start_date.data = local_day(planet, utcnow())
        return _render("challenge_form.html", planet, form=form, active_tab="engagement.challenges")
    status = 400
    if form.validate():
        data = checkins.ChallengeInput(
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
        try:
            challenge = checkins.create_challenge(planet, current_user, data)
        except ServiceError as error:
            status = _form_failed(form, error)
        else:
            return redirect(url_for("engagement.challenge", slug=planet.slug, cid=challenge.id))
    return _render(
        "challenge_form.html", planet, status, form=form, active_tab="engagement.challenges"
    )


@bp.route("/challenges/<int:cid>")
def challenge(slug, cid):
    planet = _planet(slug, Action.READ)
    item = in_planet_or_404(Challenge, cid, planet)
    now = utcnow()
    today = local_day(planet, now)
    day = today
    if request.args.get("day"):
        try:
            day = datetime.strptime(request.args["day"], "%Y-%m-%d").date()
        except ValueError:
            abort(400, description=_("That date is not valid."))
    feed, cursor = checkins.day_feed(item, day, after=_after())
    progress = checkins.progress_of(item, current_user.id)
    stats = checkins.daily_stats(item)
    return _render(
        "challenge.html", planet, challenge=item, today=today, day=day, feed=feed,
        next_cursor=encode(cursor) if cursor else None,
        my_today=checkins.checkin_of(item, current_user.id, today),
        progress=progress, streak=checkins.effective_streak(progress, today),
        calendar=checkins.calendar(item, current_user.id), days=checkins.calendar_days(item),
        streak_board=checkins.leaderboard(item, "streak", today, 20),
        total_board=checkins.leaderboard(item, "total", today, 20),
        completion=checkins.completion_rate(item, today),
        chart=bar_chart([(d.strftime("%m-%d"), n) for d, n in stats], title=_("Check-ins per day")),
        form=f.CheckInForm(), active_tab="engagement.challenges",
    )  # fmt: skip


@bp.route("/challenges/<int:cid>/checkin", methods=["POST"])
def check_in(slug, cid):
    planet = _planet(slug, Action.CHECK_IN)
    item = in_planet_or_404(Challenge, cid, planet)
    form = f.CheckInForm()
    checkins.check_in(planet, item, current_user, form.body.data or "", image=form.image.data)
    flash(_("Checked in. Keep it up!"), "success")
    return redirect(url_for("engagement.challenge", slug=planet.slug, cid=item.id))


@bp.route("/challenges/<int:cid>/images/<key>")
def checkin_image(slug, cid, key):
    """A check-in's image, for whoever may read the planet (the content area's file route
    shows an image that belongs to no topic only to its uploader). Looked up by the stored
    file's key, then the uploader's check-in in this challenge (both indexed)."""
    from planet.content import uploads

    planet = _planet(slug, Action.READ)
    challenge = in_planet_or_404(Challenge, cid, planet)
    attachment = uploads.stored_in_planet(planet.id, key)
    if attachment is None or not db.session.scalar(
        select(CheckIn.id).where(
            CheckIn.challenge_id == challenge.id,
            CheckIn.user_id == attachment.uploader_id,
            CheckIn.image_key == key,
        )
    ):
        abort(404)
    return uploads.send_stored(attachment)


@bp.route("/challenges/<int:cid>/members/<int:user_id>")
def member_calendar(slug, cid, user_id):
    planet = _planet(slug, Action.READ)
    item = in_planet_or_404(Challenge, cid, planet)
    progress = checkins.progress_of(item, user_id)
    if progress is None:
        abort(404)
    user = db.session.get(User, user_id)
    today = local_day(planet, utcnow())
    return _render(
        "member_calendar.html", planet, challenge=item, user=user, progress=progress,
        streak=checkins.effective_streak(progress, today), today=today,
        calendar=checkins.calendar(item, user_id), days=checkins.calendar_days(item),
        active_tab="engagement.challenges",
    )  # fmt: skip


# ---------------------------------------------------------------- homework


@bp.route("/homework")
def homework(slug):
    planet = _planet(slug, Action.READ)
    rows, cursor = homework_mod.list_assignments(planet, after=_after())
    return _render(
        "homework.html", planet, rows=rows, next_cursor=encode(cursor) if cursor else None,
        grades=homework_mod.my_grades(planet, current_user.id), now=utcnow(),
        active_tab="engagement.homework",
    )  # fmt: skip


@bp.route("/homework/new", methods=["GET", "POST"])
def new_assignment(slug):
    planet = _planet(slug, Action.POST_HOMEWORK)
    form = f.AssignmentForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            due = to_utc(planet, form.due_date.data, form.due_time.data)
            try:
                item = homework_mod.post_assignment(
                    planet, current_user, form.title.data, form.body.data or "", due,
                    form.late_days.data,
                )  # fmt: skip
            except ServiceError as error:
                status = _form_failed(form, error)
            else:
                return redirect(url_for("engagement.assignment", slug=planet.slug, aid=item.id))
    return _render("assignment_form.html", planet, status, form=form,
                   active_tab="engagement.homework")  # fmt: skip


@bp.route("/homework/<int:aid>")
def assignment(slug, aid):
    planet = _planet(slug, Action.READ)
    item = in_planet_or_404(Assignment, aid, planet)
    may_grade = policy.may(current_user, Action.GRADE_HOMEWORK, planet)
    rows, cursor = homework_mod.list_submissions(item, featured_only=not may_grade, after=_after())
    return _render(
        "assignment.html", planet, assignment=item, rows=rows, may_grade=may_grade,
        next_cursor=encode(cursor) if cursor else None, now=utcnow(),
        mine=homework_mod.submission_of(item, current_user.id),
        form=f.SubmissionForm(), grade_form=f.GradeForm(formdata=None),
        active_tab="engagement.homework",
    )  # fmt: skip


@bp.route("/homework/<int:aid>/submit", methods=["POST"])
def submit(slug, aid):
    planet = _planet(slug, Action.SUBMIT_HOMEWORK)
    item = in_planet_or_404(Assignment, aid, planet)
    form = f.SubmissionForm()
    homework_mod.hand_in(planet, item, current_user, form.body.data or "")
    flash(_("Your work is handed in."), "success")
    return redirect(url_for("engagement.assignment", slug=planet.slug, aid=item.id))


@bp.route("/homework/submissions/<int:sid>/grade", methods=["POST"])
def grade(slug, sid):
    planet = _planet(slug, Action.GRADE_HOMEWORK)
    submission = in_planet_or_404(Submission, sid, planet)
    form = f.GradeForm()
    if not form.validate():
        abort(400, description=_("The score must be between 0 and 100."))
    homework_mod.grade(
        planet, submission, current_user, form.score.data, form.comment.data or "",
        form.featured.data,
    )  # fmt: skip
    flash(_("Grade saved."), "success")
    return redirect(
        url_for("engagement.assignment", slug=planet.slug, aid=submission.assignment_id)
    )


# ---------------------------------------------------------------- points


PERIODS = {"week": PeriodKind.WEEK, "month": PeriodKind.MONTH, "all": PeriodKind.ALL}


@bp.route("/points")
def leaderboard(slug):
    planet = _planet(slug, Action.READ)
    period = request.args.get("period", "week")
    if period not in PERIODS:
        abort(400, description=_("Choose week, month or all time."))
    now = utcnow()
    settings = points.settings_for(planet.id)
    table = points.levels(planet.id, settings)
    rows = points.leaderboard(planet, PERIODS[period], now)
    mine = points.member_total(planet, current_user.id, PeriodKind.ALL, now)
    all_time = {}
    if PERIODS[period] is PeriodKind.ALL:
        all_time = {row.user_id: row.points for row in rows}
    return _render(
        "leaderboard.html", planet, rows=rows, period=period, mine=mine,
        my_level=points.level_for(mine, table), levels=table, level_for=points.level_for,
        all_time=all_time, values=points.point_values(planet.id, settings),
        labels=points.VALUE_LABELS, active_tab="engagement.leaderboard",
    )  # fmt: skip


@bp.route("/points/history")
def points_history(slug):
    planet = _planet(slug, Action.READ)
    user_id = current_user.id
    other = None
    if request.args.get("user"):
        policy.require(current_user, Action.VIEW_HEALTH, planet)
        user_id = other = decode_int_cursor(request.args["user"])
    rows, cursor = points.history(planet, user_id, _after())
    return _render(
        "points_history.html", planet, rows=rows, user=db.session.get(User, user_id),
        other=other, next_cursor=encode(cursor) if cursor else None, labels=points.REASON_LABELS,
        active_tab="engagement.leaderboard",
    )  # fmt: skip


@bp.route("/points/settings", methods=["GET", "POST"])
def points_settings(slug):
    planet = _planet(slug, Action.EDIT_SETTINGS)
    status = 200
    error = None
    if request.method == "POST":
        f.ActionForm().validate() or abort(400)
        try:
            values = {k: int(request.form.get(k, "0")) for k in points.DEFAULT_VALUES}
            thresholds = request.form.getlist("level_threshold")
            names = request.form.getlist("level_name")
            rows = [(int(t), n) for t, n in zip(thresholds, names, strict=False) if t.strip()]
        except ValueError:
            error, status = _("Point values and thresholds must be whole numbers."), 400
        else:
            try:
                points.update_settings(planet, values, rows)
            except ServiceError as failure:
                error, status = str(failure.reason), failure.status
            else:
                flash(_("Points settings saved."), "success")
                return redirect(url_for("engagement.points_settings", slug=planet.slug))
    return _render(
        "points_settings.html", planet, status, error=error,
        values=points.point_values(planet.id), labels=points.VALUE_LABELS,
        levels=points.levels(planet.id), form=f.ActionForm(), active_tab="engagement.leaderboard",
    )  # fmt: skip


@bp.route("/points/inactive")
def least_active(slug):
    planet = _planet(slug, Action.VIEW_HEALTH)
    weeks = request.args.get("weeks", "4")
    if weeks not in ("1", "4", "12", "26"):
        abort(400, description=_("Choose a period of 1, 4, 12 or 26 weeks."))
    after = decode_ints(request.args.get("after"), 2)
    rows, cursor = health.least_active(planet, utcnow(), int(weeks), after)
    return _render(
        "least_active.html", planet, rows=rows, weeks=weeks,
        next_cursor=encode(*cursor) if cursor else None, form=f.ActionForm(),
        active_tab="engagement.health",
    )  # fmt: skip


@bp.route("/points/inactive/<int:mid>/remove", methods=["POST"])
def remove_inactive(slug, mid):
    planet = _planet(slug, Action.REMOVE_MEMBER)
    membership = in_planet_or_404(Membership, mid, planet)
    members.remove_member(planet, current_user, membership)
    flash(_("The member was removed."), "success")
    return redirect(url_for("engagement.least_active", slug=planet.slug))


# ---------------------------------------------------------------- events


@bp.route("/events", endpoint="events")
def events_list(slug):
    planet = _planet(slug, Action.READ)
    now = utcnow()
    rows = [
        (event, start, events.countdown(start, now))
        for event, start in events.upcoming(planet, now)
    ]
    return _render("events.html", planet, rows=rows, active_tab="engagement.events")


@bp.route("/events/new", methods=["GET", "POST"])
def new_event(slug):
    planet = _planet(slug, Action.MANAGE_EVENTS)
    form = f.EventForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                item = events.create_event(
                    planet, current_user, title=form.title.data,
                    description=form.description.data or "", location=form.location.data or "",
                    local_date=form.date.data, local_time=form.time.data,
                    recurrence=Recurrence(form.recurrence.data),
                    duration_minutes=form.duration_minutes.data,
                    remind_minutes=form.remind_minutes.data,
                )  # fmt: skip
            except ServiceError as error:
                status = _form_failed(form, error)
            else:
                return redirect(url_for("engagement.event", slug=planet.slug, eid=item.id))
    return _render("event_form.html", planet, status, form=form, tz=planet.timezone,
                   active_tab="engagement.events")  # fmt: skip


@bp.route("/events/<int:eid>")
def event(slug, eid):
    planet = _planet(slug, Action.READ)
    item = in_planet_or_404(Event, eid, planet)
    now = utcnow()
    start = events.next_occurrence(planet, item, now)
    going = events.attendees(item, start) if start else []
    return _render(
        "event.html", planet, event=item, start=start, going=going,
        countdown=events.countdown(start, now) if start else None,
        mine=events.rsvp_of(item, start, current_user.id) if start else None,
        form=f.ActionForm(), active_tab="engagement.events",
    )  # fmt: skip


@bp.route("/events/<int:eid>/rsvp", methods=["POST"])
def rsvp(slug, eid):
    planet = _planet(slug, Action.RSVP)
    item = in_planet_or_404(Event, eid, planet)
    events.rsvp(planet, item, current_user)
    flash(_("See you there!"), "success")
    return redirect(url_for("engagement.event", slug=planet.slug, eid=item.id))


@bp.route("/events/<int:eid>/rsvp/cancel", methods=["POST"])
def cancel_rsvp(slug, eid):
    planet = _planet(slug, Action.RSVP)
    item = in_planet_or_404(Event, eid, planet)
    events.cancel_rsvp(planet, item, current_user)
    return redirect(url_for("engagement.event", slug=planet.slug, eid=item.id))


@bp.route("/events/<int:eid>/cancel", methods=["POST"])
def cancel_event(slug, eid):
    planet = _planet(slug, Action.MANAGE_EVENTS)
    item = in_planet_or_404(Event, eid, planet)
    events.cancel_event(planet, item, current_user)
    flash(_("The event was cancelled."), "success")
    return redirect(url_for("engagement.events", slug=planet.slug))


@bp.route("/events/<int:eid>.ics")
def event_ics(slug, eid):
    planet = _planet(slug, Action.READ)
    item = in_planet_or_404(Event, eid, planet)
    url = url_for("engagement.event", slug=planet.slug, eid=item.id, _external=True)
    return Response(
        events.to_ics(planet, item, url),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{item.id}.ics"'},
    )


# ---------------------------------------------------------------- polls and lotteries


@bp.route("/polls", endpoint="polls")
def polls_list(slug):
    planet = _planet(slug, Action.READ)
    rows, cursor = polls.list_polls(planet, after=_after())
    return _render(
        "polls.html", planet, rows=rows, next_cursor=encode(cursor) if cursor else None,
        lotteries=polls.list_lotteries(planet), now=utcnow(), active_tab="engagement.polls",
    )  # fmt: skip


@bp.route("/polls/new", methods=["GET", "POST"])
def new_poll(slug):
    planet = _planet(slug, Action.CREATE_POLL)
    form = f.PollForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                item = polls.create_poll(
                    planet, current_user, form.question.data,
                    (form.options.data or "").splitlines(), multiple=form.multiple.data,
                    closes_at=to_utc(planet, form.closes_date.data, form.closes_time.data),
                    results=ResultsVisibility(form.results.data),
                )  # fmt: skip
            except ServiceError as error:
                status = _form_failed(form, error)
            else:
                return redirect(url_for("engagement.poll", slug=planet.slug, pid=item.id))
    return _render("poll_form.html", planet, status, form=form, active_tab="engagement.polls")


@bp.route("/polls/<int:pid>")
def poll(slug, pid):
    planet = _planet(slug, Action.READ)
    item = in_planet_or_404(Poll, pid, planet)
    now = utcnow()
    ballot = polls.ballot_of(item, current_user.id)
    return _render(
        "poll.html", planet, poll=item, ballot=ballot, now=now,
        show_results=polls.results_visible(item, ballot is not None, now),
        form=f.ActionForm(), active_tab="engagement.polls",
    )  # fmt: skip


@bp.route("/polls/<int:pid>/vote", methods=["POST"])
def vote(slug, pid):
    planet = _planet(slug, Action.VOTE)
    item = in_planet_or_404(Poll, pid, planet)
    try:
        option_ids = [int(v) for v in request.form.getlist("option")]
    except ValueError:
        abort(400, description=_("That option is not part of this poll."))
    polls.vote(planet, item, current_user, option_ids)
    flash(_("Thanks for voting."), "success")
    return redirect(url_for("engagement.poll", slug=planet.slug, pid=item.id))


@bp.route("/lotteries/new", methods=["GET", "POST"])
def new_lottery(slug):
    planet = _planet(slug, Action.RUN_LOTTERY)
    form = f.LotteryForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            try:
                item = polls.create_lottery(
                    planet, current_user, form.title.data, form.prize.data or "",
                    LotteryEligibility(form.eligibility.data), form.winner_count.data,
                )  # fmt: skip
            except ServiceError as error:
                status = _form_failed(form, error)
            else:
                return redirect(url_for("engagement.lottery", slug=planet.slug, lid=item.id))
    return _render("lottery_form.html", planet, status, form=form, active_tab="engagement.polls")


@bp.route("/lotteries/<int:lid>")
def lottery(slug, lid):
    planet = _planet(slug, Action.READ)
    item = in_planet_or_404(Lottery, lid, planet)
    winners = []
    if item.winners:
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(item.winners)))}
        winners = [users.get(uid) for uid in item.winners]
    return _render(
        "lottery.html", planet, lottery=item, winners=winners, form=f.ActionForm(),
        active_tab="engagement.polls",
    )  # fmt: skip


@bp.route("/lotteries/<int:lid>/draw", methods=["POST"])
def draw(slug, lid):
    planet = _planet(slug, Action.RUN_LOTTERY)
    item = in_planet_or_404(Lottery, lid, planet)
    polls.draw_lottery(planet, item, current_user)
    return redirect(url_for("engagement.lottery", slug=planet.slug, lid=item.id))


# ---------------------------------------------------------------- health


@bp.route("/health", endpoint="health")
def health_view(slug):
    planet = _planet(slug, Action.VIEW_HEALTH)
    now = utcnow()
    figures = health_snapshot.activity_health(planet, now)
    funnel = health.funnel(planet, now)
    weekly_chart = None
    if figures.ready:
        weekly_chart = bar_chart([(d.strftime("%m-%d"), n) for d, n in figures.weekly],
                                 title=_("Weekly active members"))  # fmt: skip
    return _render(
        "health.html", planet, activity=figures, weekly=figures.weekly,
        weekly_chart=weekly_chart, members=figures.members, share=figures.share,
        cooling=figures.cooling, may_refresh=health_snapshot.may_refresh(figures, now),
        unanswered=health.unanswered_questions(planet, now),
        retention=health.retention(planet, now), funnel=funnel,
        funnel_chart=bar_chart(
            [(f"{_source_label(s)}·{_stage_label(st)}", funnel[s][st]) for s in funnel
             for st in funnel[s]], title=_("Join funnel"),
        ), source_label=_source_label, stage_label=_stage_label, form=f.ActionForm(),
        active_tab="engagement.health",
    )  # fmt: skip


@bp.route("/health/refresh", methods=["POST"])
def health_refresh(slug):
    planet = _planet(slug, Action.VIEW_HEALTH)
    if health_snapshot.request_refresh(planet, utcnow()):
        flash(_("The activity figures are being recomputed. Reload this page in a minute."),
              "success")  # fmt: skip
    else:
        flash(_("A recomputation was asked for less than five minutes ago. "
                "Reload this page in a minute."), "warning")  # fmt: skip
    return redirect(url_for("engagement.health", slug=planet.slug), 303)


def _source_label(source) -> str:
    return {"referral": _("Referral link"), "discover": _("Discover page"), "direct": _("Direct")}[
        str(source)
    ]


def _stage_label(stage) -> str:
    return {"view": _("Landing views"), "checkout": _("Checkout started"), "paid": _("Paid")}[
        str(stage)
    ]


CSV_TABLES = ("weekly_active", "members", "cooling", "unanswered", "retention", "funnel",
              "least_active")  # fmt: skip


@bp.route("/health/<table>.csv")
def health_csv(slug, table):
    planet = _planet(slug, Action.VIEW_HEALTH)
    if table not in CSV_TABLES:
        abort(404)
    now = utcnow()
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "weekly_active":
        writer.writerow(["week_start", "active_members"])
        writer.writerows((d.isoformat(), n) for d, n in health.weekly_active(planet, now, 52))
    elif table == "members":
        writer.writerow(["user_id", "name", "topics", "answers", "comments", "other", "total"])
        for user_id, name, *counts in health.by_member_export(planet, now):
            writer.writerow([user_id, _csv_safe(name), *counts])
    elif table == "cooling":
        report = health.cooling(planet, now, limit=100_000)
        writer.writerow(["user_id", "name", "baseline_activity", "recent_activity", "alert"])
        for user, base, recent in report.quiet:
            writer.writerow([user.id, _csv_safe(user.display_name), base, recent, report.alert])
    elif table == "unanswered":
        writer.writerow(["topic_id", "asked_at", "asker", "addressee"])
        for topic in health.unanswered_questions(planet, now, limit=1000):
            writer.writerow(
                [
                    topic.id,
                    topic.created_at.isoformat(),
                    _csv_safe(topic.author.display_name),
                    _csv_safe(topic.addressee.display_name if topic.addressee else ""),
                ]
            )
    elif table == "retention":
        data = health.retention(planet, now)
        writer.writerow(["metric", "value"])
        for key in ("days", "joined", "renewed", "expired", "ended", "churn", "renewal_rate"):
            writer.writerow([key, data[key]])
    elif table == "funnel":
        writer.writerow(["source", "view", "checkout", "paid"])
        for source, stages in health.funnel(planet, now).items():
            writer.writerow([source.value, *(stages[s] for s in stages)])
    else:
        writer.writerow(["user_id", "name", "activity"])
        for user_id, name, activity in health.least_active_export(planet, now):
            writer.writerow([user_id, _csv_safe(name), activity])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{planet.slug}-{table}.csv"'},
    )


def _csv_safe(value: str) -> str:
    """Defuse spreadsheet formulas in user-chosen names."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
