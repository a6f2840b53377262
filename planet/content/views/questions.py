"""Questions and answers: the Q&A lists, asking the owner or a guest, answering, withdrawing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.content.faq import queries as faq_queries
from planet.content.forms import AnswerForm, AskForm
from planet.content.queries.feed import (
    feed_page,
    my_questions,
    paid_waiting,
    private_answers,
    waiting_questions,
)
from planet.content.services import paid_questions as paid
from planet.content.services import questions as qa
from planet.content.views.common import (
    bp,
    done,
    feed_context,
    form_flow,
    liked_any,
    note_cards,
    reading,
    topic_for,
    topic_or_404,
    topic_url,
    viewer_id,
    writing,
)
from planet.content.views.common import (
    readable as policy_readable,
)
from planet.moderation import services as moderation
from planet.moderation.models import HeldKind
from planet.moderation.views import held_redirect
from planet.policy import Action
from planet.web import pagecache

_LISTS = {
    "answered": lambda planet, after: feed_page(
        planet, viewer_id=viewer_id(), after=after, questions=True
    ),
    "waiting": lambda planet, after: waiting_questions(planet, viewer_id(), after=after),
    "mine": lambda planet, after: my_questions(planet, viewer_id(), after=after),
    "private": lambda planet, after: private_answers(planet, viewer_id(), after=after),
}


@bp.get("/questions")
def questions(slug):
    planet, away = reading(slug)
    if away:
        return away
    show, after = request.args.get("show"), request.args.get("after")
    if show is None:
        # Open on the questions waiting for the viewer's answer when there are any.
        if after is None and policy.may(current_user, Action.ANSWER_QUESTION, planet):
            waiting = _LISTS["waiting"](planet, None)
            if waiting.items or paid_waiting(planet, viewer_id()):
                return _questions_page(planet, "waiting", waiting)
        show = "answered"
    if show not in _LISTS:
        abort(400, description=_("Unknown filter."))
    if show == "answered":  # the others are lists of the viewer's own questions
        return pagecache.serve(
            planet, lambda: _questions_page(planet, show, _LISTS[show](planet, after)), liked_any
        )
    return _questions_page(planet, show, _LISTS[show](planet, after))


def _questions_page(planet, show: str, page):
    paid_first = []
    if show == "waiting" and request.args.get("after") is None:
        # Paid questions first, the nearest deadline first.
        paid_first = policy_readable(planet, paid_waiting(planet, viewer_id()))
    context = feed_context(planet, page)
    note_cards([*paid_first, *context["topics"]], context["liked"])
    return render_template(
        "content/questions.html",
        planet=planet,
        show=show,
        paid_waiting=paid_first,
        offers=paid.offers(planet),
        **context,
    )


@bp.route("/ask", methods=["GET", "POST"])
def ask(slug):
    planet = writing(slug)
    policy.require(current_user, Action.ASK_QUESTION, planet)
    offers = [(o, person) for o, person in paid.offers(planet) if person.id != current_user.id]
    priced = {o.user_id for o, _person in paid.offers(planet)}
    people = [
        (membership, person)
        for membership, person in qa.question_addressees(planet)
        if person.id != current_user.id and person.id not in priced
    ]
    form = AskForm()
    form.addressee.choices = [(person.id, person.display_name) for _m, person in people]
    if request.method == "GET" and request.args.get("to", "").isdigit():
        form.addressee.data = int(request.args["to"])
    typed = request.args.get("q", "")[: faq_queries.TYPED_MAX] if request.method == "GET" else ""
    if typed and not form.body.data:
        form.body.data = typed
    if form.validate_on_submit():
        payload = {
            "addressee_id": form.addressee.data,
            "body": form.body.data,
            "anonymous": bool(form.anonymous.data),
        }
        if moderation.hold_if_sensitive(
            planet, current_user, HeldKind.QUESTION, payload, form.body.data
        ):
            return held_redirect(planet, _("question"))
        created = qa.ask_question(
            planet,
            current_user,
            addressee_id=form.addressee.data,
            body=form.body.data,
            anonymous=bool(form.anonymous.data),
        )
        flash(_("Your question was sent."), "success")
        return redirect(topic_url(planet, created))
    status = 400 if form.is_submitted() else 200
    page = render_template(
        "content/ask.html", planet=planet, form=form, people=people, offers=offers,
        suggestions=faq_queries.suggestions(planet.id, typed or form.body.data or ""),
    )  # fmt: skip
    return page, status


@bp.post("/t/<int:topic_id>/answer")
def answer(slug, topic_id):
    planet, topic = topic_for(slug, topic_id, Action.ANSWER_QUESTION)
    form = AnswerForm()
    return form_flow(
        planet,
        form,
        _("Answer"),
        save=lambda: qa.answer_question(planet, current_user, topic, form.body.data),
        done=topic_url(planet, topic),
        cancel=topic_url(planet, topic),
        message=_("Answered. The question is now in the timeline."),
    )


@bp.route("/t/<int:topic_id>/answer/edit", methods=["GET", "POST"])
def edit_answer(slug, topic_id):
    planet = writing(slug)
    topic = topic_or_404(planet, topic_id, eager=True)
    if topic.answer is None:
        abort(404)
    policy.require(current_user, Action.EDIT_CONTENT, planet, topic.answer)
    form = AnswerForm(obj=topic.answer)
    return form_flow(
        planet,
        form,
        _("Edit answer"),
        save=lambda: qa.edit_answer(planet, current_user, topic, topic.answer, form.body.data),
        done=topic_url(planet, topic),
        cancel=topic_url(planet, topic),
        message=_("Saved."),
    )


@bp.post("/t/<int:topic_id>/answer/delete")
def delete_answer(slug, topic_id):
    planet = writing(slug)
    topic = topic_or_404(planet, topic_id, eager=True)
    qa.delete_answer(planet, current_user, topic, topic.answer)
    message = _("The answer was withdrawn; the question is open again.")
    return done(message, topic_url(planet, topic))
