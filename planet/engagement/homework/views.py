"""Homework: assignments, handing in and grading.

Thin: load (lookup), check access (policy), call a service, render.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.engagement.clock import to_utc
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
from planet.engagement.homework import services
from planet.engagement.homework.forms import AssignmentForm, GradeForm, SubmissionForm
from planet.engagement.homework.models import Assignment, Submission
from planet.models import utcnow
from planet.moderation import services as moderation
from planet.moderation.models import HeldKind
from planet.moderation.views import held_redirect


@bp.route("/homework")
def homework(slug):
    planet = load_planet(slug, Action.READ)
    rows, cursor = services.list_assignments(planet, after=after_cursor())
    return render(
        "homework/homework.html",
        planet,
        rows=rows,
        next_cursor=next_cursor(cursor),
        grades=services.my_grades(planet, current_user.id),
        now=utcnow(),
        active_tab="engagement.homework",
    )


@bp.route("/homework/new", methods=["GET", "POST"])
def new_assignment(slug):
    planet = load_planet(slug, Action.POST_HOMEWORK)
    form = AssignmentForm()

    def save():
        return services.post_assignment(
            planet,
            current_user,
            form.title.data,
            form.body.data or "",
            to_utc(planet, form.due_date.data, form.due_time.data),
            form.late_days.data,
        )

    posted = _("The homework is posted. Members can hand it in now.")
    done = show_created(planet, "engagement.assignment", "aid", posted)

    template = "homework/assignment_form.html"
    return form_page(form, save, done, template, planet, active_tab="engagement.homework")


@bp.route("/homework/<int:aid>")
def assignment(slug, aid):
    planet, item = load_item(slug, Action.READ, Assignment, aid)
    may_grade = policy.may(current_user, Action.GRADE_HOMEWORK, planet)
    rows, cursor = services.list_submissions(
        item, featured_only=not may_grade, after=after_cursor()
    )
    return render(
        "homework/assignment.html",
        planet,
        assignment=item,
        rows=rows,
        may_grade=may_grade,
        next_cursor=next_cursor(cursor),
        now=utcnow(),
        mine=services.submission_of(item, current_user.id),
        form=SubmissionForm(),
        grade_form=GradeForm(formdata=None),
        active_tab="engagement.homework",
    )


@bp.route("/homework/<int:aid>/submit", methods=["POST"])
def submit(slug, aid):
    planet, item = load_item(slug, Action.SUBMIT_HOMEWORK, Assignment, aid)
    form = SubmissionForm()
    body = form.body.data or ""
    payload = {"assignment_id": item.id, "body": body}
    if moderation.hold_if_sensitive(planet, current_user, HeldKind.SUBMISSION, payload, body):
        return held_redirect(planet, _("homework"))
    services.hand_in(planet, item, current_user, body)
    flash(_("Your work is handed in."), "success")
    return redirect(url_for("engagement.assignment", slug=planet.slug, aid=item.id))


@bp.route("/homework/submissions/<int:sid>/grade", methods=["POST"])
def grade(slug, sid):
    planet, submission = load_item(slug, Action.GRADE_HOMEWORK, Submission, sid)
    form = GradeForm()
    if not form.validate():
        abort(400, description=_("The score must be between 0 and 100."))
    services.grade(
        planet,
        submission,
        current_user,
        form.score.data,
        form.comment.data or "",
        form.featured.data,
    )
    flash(_("Grade saved."), "success")
    return redirect(
        url_for("engagement.assignment", slug=planet.slug, aid=submission.assignment_id)
    )
