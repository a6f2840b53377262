"""Join screening pages (planet/members/screening.py): the applicant's request, and the
moderators' queue with the owner's settings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from planet import policy
from planet.errors import ServiceError
from planet.extensions import db
from planet.members import screening
from planet.members.forms import ActionForm, JoinForm
from planet.members.views import _valid_post, bp
from planet.planets.lookup import planet_or_404


@bp.route("/p/<slug>/apply", methods=["GET", "POST"])
@login_required
def apply(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.JOIN, planet)
    if not screening.screens(planet):
        abort(404)  # a planet that does not screen has no requests: its join page is the way
    form = JoinForm()
    status = 200
    if request.method == "POST":
        _valid_post(form)
        answers = [
            request.form.get(f"answer{n}", "")[:2000] for n in range(screening.MAX_QUESTIONS)
        ]
        try:
            screening.apply(planet, current_user, answers, rules_accepted=form.accept_rules.data)
        except ServiceError as error:
            db.session.rollback()
            flash(str(error.reason), "error")
            status = error.status
        else:
            flash(_("Your request was sent. You will be told when it is decided."), "success")
            return redirect(url_for("members.apply", slug=slug))
    return render_template(
        "members/apply.html",
        planet=planet,
        form=form,
        questions=screening.questions_of(planet),
        pending=screening.pending_of(planet, current_user.id),
        withdraw_form=ActionForm(),
    ), status


@bp.post("/p/<slug>/apply/withdraw")
@login_required
def withdraw_application(slug):
    planet = planet_or_404(slug)
    _valid_post(ActionForm())
    screening.withdraw(planet, current_user)
    flash(_("Your request was withdrawn."), "success")
    return redirect(url_for("planets.landing", slug=slug))


def _queue_page(planet, status: int = 200):
    return render_template(
        "members/applications.html",
        planet=planet,
        pending=[(a, u, screening.answers_of(a)) for a, u in screening.queue(planet)],
        form=ActionForm(),
        questions="\n".join(screening.questions_of(planet)),
        active_tab="members.applications",
    ), status


@bp.get("/p/<slug>/applications")
@login_required
def applications(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.REVIEW_APPLICATIONS, planet)
    return _queue_page(planet)


def _act(slug, act, message):
    planet = planet_or_404(slug)
    _valid_post(ActionForm())
    try:
        act(planet)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.reason), "error")
        return _queue_page(planet, error.status)
    flash(message, "success")
    return redirect(url_for("members.applications", slug=slug))


@bp.post("/p/<slug>/applications/settings")
@login_required
def screening_settings(slug):
    enabled = request.form.get("enabled") == "1"
    questions = request.form.get("questions", "")
    if len(questions) > 5000:
        abort(400)
    return _act(
        slug,
        lambda planet: screening.set_screening(planet, current_user, enabled, questions),
        _("Saved."),
    )


@bp.post("/p/<slug>/applications/<int:application_id>/approve")
@login_required
def approve_application(slug, application_id):
    return _act(
        slug,
        lambda planet: screening.approve(planet, current_user, application_id),
        _("Approved: they are a member now."),
    )


@bp.post("/p/<slug>/applications/<int:application_id>/refuse")
@login_required
def refuse_application(slug, application_id):
    reason = request.form.get("reason", "")[:1000]
    return _act(
        slug,
        lambda planet: screening.refuse(planet, current_user, application_id, reason),
        _("Refused; they were told why."),
    )
