"""Gifts: buy a year of a planet for someone else, and redeem a gift code (payments/gifts.py).
Code attempts are rate-limited per user and per address like coupons."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from payments import gifts
from payments.forms import GiftForm, RedeemGiftForm
from payments.models import GiftCode
from payments.views import bp
from planet import policy
from planet.errors import ServiceError
from planet.extensions import db, limiter
from planet.members.services import RulesNotAccepted
from planet.planets.lookup import planet_or_404
from planet.planets.models import Planet
from planet.web.forms import apply_service_error


def _rate() -> str:
    return current_app.config["COUPON_ATTEMPT_RATE_LIMIT"]


def _not_an_attempt() -> bool:
    return request.method != "POST" or not current_user.is_authenticated


def _too_many() -> str:
    return _("Too many gift code attempts. Please wait a while and try again.")


def _limited(view):
    keys = (
        (lambda: f"gift-user:{current_user.get_id()}", "gift-user"),
        (lambda: f"gift-address:{request.remote_addr or ''}", "gift-address"),
    )
    for key_func, scope in keys:
        view = limiter.shared_limit(
            _rate, scope=scope, key_func=key_func, exempt_when=_not_an_attempt,
            error_message=_too_many,
        )(view)  # fmt: skip
    return view


@bp.route("/p/<slug>/gift", methods=["GET", "POST"])
@login_required
def gift(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.GIVE_GIFT, planet)
    form = GiftForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                payment = gifts.start_gift_checkout(
                    planet, current_user, form.recipient_email.data or ""
                )
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                return redirect(url_for("payments.pay", payment_id=payment.id))
        else:
            status = 400
    return render_template("payments/gift.html", planet=planet, form=form), status


def _planet_of_code(code: str) -> Planet | None:
    planet_id = db.session.scalar(
        select(GiftCode.planet_id).where(GiftCode.code == gifts.normalise_code(code))
    )
    return db.session.get(Planet, planet_id) if planet_id else None


@bp.route("/gifts/redeem", methods=["GET", "POST"])
@login_required
@_limited
def redeem_gift():
    form = RedeemGiftForm()
    if request.method == "GET":
        form.code.data = (request.args.get("code") or "")[:40]
    status, planet = 200, None
    if request.method == "POST":
        if form.validate():
            try:
                planet, _membership = gifts.redeem_gift(
                    current_user, form.code.data, rules_accepted=bool(form.accept_rules.data)
                )
            except RulesNotAccepted as error:
                status = apply_service_error(form, error)
                planet = _planet_of_code(form.code.data)
            except ServiceError as error:
                status = apply_service_error(form, error)
                planet = None
            else:
                flash(_("Welcome to %(name)s! Enjoy your gift.", name=planet.name), "success")
                return redirect(url_for("planets.landing", slug=planet.slug))
        else:
            status = 400
    return render_template("payments/redeem_gift.html", form=form, planet=planet), status
