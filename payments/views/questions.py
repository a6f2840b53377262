"""Paid questions (付费提问) and peeks (偷看): asking with a price, paying for an unpaid
question, declining, peeking, and the prices (each answerer's own, the owner's rules)."""

from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from payments import questions
from payments.forms import PaidAskForm, QuestionPriceForm, QuestionSettingsForm
from payments.pricing import pricing_of
from payments.views import bp, int_or_400, minor_units
from planet import policy
from planet.accounts.models import User
from planet.content.models import Audience, Topic
from planet.content.services import paid_questions as paid
from planet.errors import ServiceError
from planet.extensions import db
from planet.planets.lookup import in_planet_or_404, planet_or_404
from planet.web.forms import apply_service_error

bp.add_app_template_global(questions.peek_price, "peek_price")


def _topic_url(planet, topic_id: int) -> str:
    return url_for("content.topic", slug=planet.slug, topic_id=topic_id)


@bp.route("/p/<slug>/ask/<int:user_id>/paid", methods=["GET", "POST"])
@login_required
def ask_paid(slug, user_id):
    planet = planet_or_404(slug)
    offer = paid.priced_offer(planet, user_id)
    policy.require(current_user, policy.Action.ASK_PAID_QUESTION, planet, offer)
    answerer = db.session.get(User, offer.user_id)
    form = PaidAskForm(expected_amount=str(offer.price))
    status = 200
    if form.validate_on_submit():
        try:
            payment = questions.ask_with_payment(
                planet,
                current_user,
                addressee_id=offer.user_id,
                body=form.body.data,
                answer_private=bool(form.answer_private.data),
                anonymous=bool(form.anonymous.data),
                expected_amount=int_or_400(form.expected_amount.data),
            )
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            return redirect(url_for("payments.pay", payment_id=payment.id))
    elif form.is_submitted():
        status = 400
    page = render_template(
        "payments/ask_paid.html",
        planet=planet,
        offer=offer,
        answerer=answerer,
        form=form,
        deadline_hours=pricing_of(planet).question_deadline_hours,
    )
    return page, status


@bp.post("/p/<slug>/t/<int:topic_id>/pay-question")
@login_required
def pay_question(slug, topic_id):
    """The asker pays (again) for their unpaid question; a paid one is a 409."""
    planet = planet_or_404(slug)
    topic = in_planet_or_404(Topic, topic_id, planet)
    payment = questions.payment_to_finish(planet, current_user, topic)
    return redirect(url_for("payments.pay", payment_id=payment.id))


@bp.post("/p/<slug>/t/<int:topic_id>/peek")
@login_required
def peek(slug, topic_id):
    planet = planet_or_404(slug)
    topic = in_planet_or_404(Topic, topic_id, planet)
    policy.require(current_user, policy.Action.READ_TOPIC, planet, topic)
    payment = questions.start_peek(planet, current_user, topic)
    return redirect(url_for("payments.pay", payment_id=payment.id))


@bp.post("/p/<slug>/t/<int:topic_id>/decline")
@login_required
def decline_question(slug, topic_id):
    planet = planet_or_404(slug)
    topic = in_planet_or_404(Topic, topic_id, planet)
    policy.require(current_user, policy.Action.READ_TOPIC, planet, topic)
    questions.decline(planet, current_user, topic)
    flash(_("You declined the question; the asker gets a full refund."), "success")
    return redirect(url_for("content.questions", slug=planet.slug))


@bp.route("/p/<slug>/question-price", methods=["GET", "POST"])
@login_required
def question_price(slug):
    """The owner's or a guest's own price; the owner also sets the planet's rules."""
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.SET_QUESTION_PRICE, planet)
    offer = paid.offer_of(planet.id, current_user.id)
    is_owner = policy.may(current_user, policy.Action.MANAGE_MONEY, planet)
    pricing = pricing_of(planet)
    price_form = QuestionPriceForm(
        prefix="price",
        price=Decimal(offer.price).scaleb(-2) if offer else None,
        audience=str(offer.audience) if offer else "members",
    )
    rules_form = QuestionSettingsForm(
        prefix="rules",
        deadline_hours=pricing.question_deadline_hours,
        guest_share=Decimal(pricing.guest_question_share_bps).scaleb(-2),
        peek_price=Decimal(pricing.peek_price).scaleb(-2),
    )
    status = 200
    if request.method == "POST":
        form = rules_form if request.form.get("which") == "rules" else price_form
        status = _save(planet, form, is_owner)
        if status == 302:
            flash(_("Saved."), "success")
            return redirect(url_for("payments.question_price", slug=planet.slug))
    page = render_template(
        "payments/question_price.html",
        planet=planet,
        price_form=price_form,
        rules_form=rules_form,
        is_owner=is_owner,
    )
    return page, status


def _save(planet, form, is_owner: bool) -> int:
    if not form.validate_on_submit():
        return 400
    try:
        if isinstance(form, QuestionSettingsForm):
            if not is_owner:
                policy.require(current_user, policy.Action.MANAGE_MONEY, planet)
            questions.update_question_settings(
                planet,
                current_user,
                deadline_hours=form.deadline_hours.data,
                guest_share_bps=int(form.guest_share.data * 100),
                peek_price=minor_units(form.peek_price.data) or 0,
            )
        else:
            audience = Audience(form.audience.data)
            paid.set_offer(planet, current_user, minor_units(form.price.data), audience)
    except ServiceError as error:
        return apply_service_error(form, error)
    return 302
