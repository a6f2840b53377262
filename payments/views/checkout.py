"""The join page, checkout and paying."""

from __future__ import annotations

import logging

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from payments import abandoned, coupon_audit, gifts, grant, pricing
from payments import checkout as checkouts
from payments.forms import (
    CheckoutForm,
)
from payments.gateway import GatewayError
from payments.models import (
    PaymentKind,
    PaymentStatus,
)
from payments.views import bp, int_or_400
from planet import policy
from planet.accounts.models import User
from planet.engagement.insights.activity import remembered_join_source
from planet.errors import ServiceError
from planet.extensions import db
from planet.members import referrals
from planet.members import services as members
from planet.planets.lookup import planet_or_404
from planet.planets.models import Planet
from planet.web.forms import apply_service_error
from planet.web.lifecycle import wants_json

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- join page and checkout


@bp.route("/p/<slug>/checkout")
@coupon_audit.limited
def checkout(slug):
    planet = planet_or_404(slug)
    # A signed referral code from the URL (the landing page's Join link) or this browser's
    # session; a tampered one is dropped here and credits nobody.
    ref = referrals.code_for_request(planet.id, request.args.get("ref")) or ""
    referrals.remember(planet.id, ref)
    coupon_code = request.args.get("coupon", "")[:32]
    return _checkout_page(planet, ref, coupon_code)


def _checkout_page(planet, ref: str, coupon_code: str, refused=None):
    """The join page; `refused` is a posted form shown again with its errors (a 4xx)."""
    settings = pricing.pricing_of(planet)
    offer, problem = None, None
    standing = policy.standing_of(current_user, planet)
    if current_user.is_authenticated and not planet.is_free:
        try:
            offer = coupon_audit.attempt(
                planet,
                current_user,
                coupon_code,
                lambda: checkouts.quote(
                    planet, current_user, coupon_code=coupon_code or None, ref=ref
                ),
            )
        except ServiceError as error:
            problem = str(error.reason)
            if coupon_code:
                try:
                    offer = checkouts.quote(planet, current_user, ref=ref)
                except ServiceError:
                    offer = None
        except Exception as error:  # an HTTPException from policy.require
            problem = getattr(error, "description", None) or _("You cannot join this planet.")
    referrer = None
    if referrer_id := referrals.referrer_in(planet.id, ref):
        referrer = db.session.get(User, referrer_id)
    form = refused or CheckoutForm(
        planet_id=planet.id,
        expected_amount=offer.amount if offer else "",
        coupon=coupon_code,
        ref=ref,
    )
    if refused is not None:
        form.expected_amount.data = offer.amount if offer else ""
    page = render_template(
        "payments/checkout.html",
        planet=planet,
        pricing=settings,
        offer=offer,
        problem=problem,
        form=form,
        referrer=referrer,
        standing=standing,
        refund_hours=current_app.config.get("REFUND_WINDOW_HOURS", 72),
        active_tab=None,
    )
    return page if refused is None else (page, 400)


def _rules_accepted() -> bool:
    """The posted "I accept the rules" box (CSRF is checked for every POST by the lifecycle)."""
    return bool(CheckoutForm().accept_rules.data)


@bp.errorhandler(members.RulesNotAccepted)
def _rules_refused(error):
    """A way in (paid checkout, free join, trial) posted without accepting the planet's rules:
    the join page again with the reason beside the box (a 400; the request writes nothing)."""
    planet = planet_or_404(request.view_args["slug"])
    form = CheckoutForm()
    apply_service_error(form, error)
    return _checkout_page(planet, form.ref.data or "", form.coupon.data or "", refused=form)


@bp.route("/p/<slug>/checkout", methods=["POST"])
@login_required
@coupon_audit.limited
def start_checkout(slug):
    planet = planet_or_404(slug)
    form = CheckoutForm()
    if not form.validate():
        abort(400)
    if int_or_400(form.planet_id.data) != planet.id:
        raise ServiceError(_("The checkout form does not match this planet. Reload the page."))
    expected_amount = int_or_400(form.expected_amount.data)
    payment = coupon_audit.attempt(
        planet,
        current_user,
        form.coupon.data,
        lambda: checkouts.start_checkout(
            planet,
            current_user,
            coupon_code=form.coupon.data or None,
            ref=form.ref.data or None,
            auto_renew=bool(form.auto_renew.data),
            expected_amount=expected_amount,
            source=remembered_join_source(planet.id),
            rules_accepted=bool(form.accept_rules.data),
        ),
    )
    if payment.status is PaymentStatus.SUCCEEDED:
        return redirect(url_for("payments.payment_status", payment_id=payment.id))
    return redirect(url_for("payments.pay", payment_id=payment.id))


@bp.route("/payments/<int:payment_id>/pay")
@login_required
def pay(payment_id):
    payment = checkouts.own_payment_or_404(payment_id, current_user)
    planet = db.session.get(Planet, payment.planet_id)
    if payment.status not in (PaymentStatus.CREATED, PaymentStatus.FAILED):
        return redirect(url_for("payments.payment_status", payment_id=payment.id))
    return render_template(
        "payments/pay.html",
        planet=planet,
        payment=payment,
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
    )


@bp.route("/payments/<int:payment_id>/confirm", methods=["POST"])
@login_required
def confirm(payment_id):
    payment = checkouts.own_payment_or_404(payment_id, current_user)
    data = request.get_json(silent=True) or request.form
    token = data.get("token")
    outcome = checkouts.confirm_payment(
        payment, current_user, token if isinstance(token, str) else ""
    )
    # Only the translated reason reaches the browser; the provider's text stays in the logs.
    body = {"status": outcome.status, "message": str(outcome.reason)}
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
    body["next"] = url_for("payments.payment_status", payment_id=payment.id)
    return jsonify(body)


@bp.route("/payments/<int:payment_id>/refresh", methods=["POST"])
@login_required
def refresh(payment_id):
    """Ask the provider (server to server) where a payment stands, e.g. after 3-D Secure."""
    payment = checkouts.own_payment_or_404(payment_id, current_user)
    if payment.status in (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION):
        grant.sync_payment(payment)
    return jsonify(status=str(payment.status))


@bp.route("/payments/<int:payment_id>/resume", methods=["POST"])
@login_required
def resume(payment_id):
    """The client secret of a payment waiting for 3-D Secure, to finish the bank's check."""
    payment = checkouts.own_payment_or_404(payment_id, current_user)
    outcome = checkouts.resume_payment(payment)
    body = {
        "status": outcome.status,
        "next": url_for("payments.payment_status", payment_id=payment_id),
    }
    if outcome.client_secret:
        body["client_secret"] = outcome.client_secret
    return jsonify(body)


@bp.route("/payments/<int:payment_id>/restart", methods=["POST"])
@login_required
def restart(payment_id):
    """Give up a payment waiting for 3-D Secure and pay again (the intent is cancelled)."""
    payment = checkouts.own_payment_or_404(payment_id, current_user)
    try:
        cancelled = abandoned.give_up(payment)
    except GatewayError as error:
        raise ServiceError(
            _l("The payment provider could not be reached. Nothing was charged; try again."), 502
        ) from error
    if cancelled:
        flash(_("The unfinished payment was cancelled. Nothing was charged."))
        return redirect(url_for("payments.pay", payment_id=payment_id))
    return redirect(url_for("payments.payment_status", payment_id=payment_id))


@bp.route("/payments/<int:payment_id>")
@login_required
def payment_status(payment_id):
    payment = checkouts.own_payment_or_404(payment_id, current_user)
    planet = db.session.get(Planet, payment.planet_id)
    if wants_json():
        return jsonify(status=str(payment.status))
    return render_template(
        "payments/status.html",
        planet=planet,
        payment=payment,
        gift=gifts.gift_of(payment) if payment.kind is PaymentKind.GIFT else None,
        stripe_js_url=current_app.config["STRIPE_JS_URL"],
        publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        timeout_minutes=current_app.config["PAYMENT_ACTION_TIMEOUT_MINUTES"],
    )


@bp.route("/p/<slug>/join-free", methods=["POST"])
@login_required
def join_free(slug):
    planet = planet_or_404(slug)
    members.join_free_planet(planet, current_user, rules_accepted=_rules_accepted())
    flash(_("Welcome to %(name)s!", name=planet.name))
    return redirect(url_for("planets.landing", slug=planet.slug))


@bp.route("/p/<slug>/trial", methods=["POST"])
@login_required
def trial(slug):
    planet = planet_or_404(slug)
    grant.start_trial(planet, current_user, rules_accepted=_rules_accepted())
    flash(_("Your free trial has started."))
    return redirect(url_for("planets.landing", slug=planet.slug))
