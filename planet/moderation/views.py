"""The moderators' pages: the word list, the queue of held posts, the author's own held posts,
and the owner's audit list."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from planet import policy
from planet.errors import ServiceError
from planet.extensions import db
from planet.moderation import services
from planet.planets.lookup import planet_or_404
from planet.web.cursors import decode_int_cursor

bp = Blueprint("moderation", __name__, url_prefix="/p/<slug>/moderation")


class WordsForm(FlaskForm):
    words = TextAreaField(validators=[Optional(), Length(max=40_000)])


class DecisionForm(FlaskForm):
    reason = StringField(validators=[Optional(), Length(max=services.REASON_MAX)])


def _queue_page(planet, status: int = 200):
    row = services.planet_words(planet)
    words_form = WordsForm()
    if request.method == "GET" or not words_form.words.data:
        words_form.words.data = "\n".join(row)
    return render_template(
        "moderation/queue.html",
        planet=planet,
        held=[(h, u, services.shown(h)) for h, u in services.held_queue(planet)],
        words_form=words_form,
        decision_form=DecisionForm(),
        word_count=len(row),
        active_tab="moderation.queue",
    ), status


@bp.get("/")
@login_required
def queue(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.MODERATE, planet)
    return _queue_page(planet)


@bp.post("/words")
@login_required
def words(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.MODERATE, planet)
    form = WordsForm()
    if not form.validate():
        return _queue_page(planet, 400)
    try:
        saved = services.set_words(planet, current_user, form.words.data or "")
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.reason), "error")
        return _queue_page(planet, error.status)
    flash(_("%(n)s sensitive words saved.", n=len(saved)), "success")
    return redirect(url_for("moderation.queue", slug=slug))


def _decide(slug, held_id, decide):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.MODERATE, planet)
    form = DecisionForm()
    if not form.validate():
        return _queue_page(planet, 400)
    try:
        message = decide(planet, form)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.reason), "error")
        return _queue_page(planet, error.status)
    flash(message, "success")
    return redirect(url_for("moderation.queue", slug=slug))


@bp.post("/<int:held_id>/approve")
@login_required
def approve(slug, held_id):
    def decide(planet, _form):
        services.approve(planet, current_user, held_id)
        return _("Approved and published.")

    return _decide(slug, held_id, decide)


@bp.post("/<int:held_id>/reject")
@login_required
def reject(slug, held_id):
    def decide(planet, form):
        services.reject(planet, current_user, held_id, form.reason.data)
        return _("Rejected; the author was told why.")

    return _decide(slug, held_id, decide)


@bp.get("/mine")
@login_required
def mine(slug):
    """The viewer's own held posts in this planet, with their state."""
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.READ, planet)
    held = services.held_of_author(planet, current_user.id)
    return render_template(
        "moderation/mine.html",
        planet=planet,
        held=[(h, services.shown(h)) for h in held],
    )


@bp.get("/audit")
@login_required
def audit(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_AUDIT, planet)
    rows, next_id = services.audit_page(planet, decode_int_cursor(request.args.get("before")))
    return render_template(
        "moderation/audit.html",
        planet=planet,
        rows=rows,
        next_id=next_id,
        active_tab="moderation.audit",
    )


def held_redirect(planet, kind_label: str):
    """Where a held submission's author goes: their held posts, told why it waits."""
    flash(
        _("Your %(what)s contains a word this planet reviews first: it is awaiting review and "
          "only you can see it for now.", what=kind_label),
        "info",
    )  # fmt: skip
    return redirect(url_for("moderation.mine", slug=planet.slug))
