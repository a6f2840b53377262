"""The member's side: memberships, receipts, refunds, auto-renewal and earnings."""

from __future__ import annotations

import logging

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from payments import grant, pricing, refunds, reports, settlement
from payments.forms import (
    PayoutAccountForm,
    RefundForm,
)
from payments.models import (
    AutoRenewal,
    BillingCustomer,
    Payment,
    PaymentStatus,
    Refund,
)
from payments.views import bp, minor_units, money
from planet import policy
from planet.accounts.models import User
from planet.errors import ServiceError
from planet.extensions import db
from planet.members.forms import ActionForm
from planet.models import utcnow
from planet.planets.lookup import planet_or_404
from planet.planets.models import Membership, Planet

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the member's side


@bp.route("/me/memberships")
@login_required
def my_memberships():
    now = utcnow()
    rows = db.session.execute(
        select(Membership, Planet, AutoRenewal)
        .join(Planet, Planet.id == Membership.planet_id)
        .outerjoin(AutoRenewal, AutoRenewal.membership_id == Membership.id)
        .where(Membership.user_id == current_user.id)
        .order_by(Membership.id.desc())
        .limit(200)
    ).all()
    policy.prime_standings(current_user, [row[0] for row in rows])
    payments = db.session.scalars(
        select(Payment)
        .where(Payment.user_id == current_user.id, Payment.status != PaymentStatus.CREATED)
        .order_by(Payment.id.desc())
        .limit(50)
    ).all()
    planets = {row[1].id: row[1] for row in rows}
    missing = {p.planet_id for p in payments} - planets.keys()
    if missing:
        planets.update(
            {p.id: p for p in db.session.scalars(select(Planet).where(Planet.id.in_(missing)))}
        )
    return render_template(
        "payments/my_memberships.html",
        rows=[(m, p, a, policy.membership_state(m, now)) for m, p, a in rows],
        payments=payments,
        planets=planets,
        may_refund=lambda payment: refunds.member_may_refund(payment, now),
        deadline=refunds.refund_deadline,
        referral_code=lambda planet: pricing.referral_code(planet, current_user.id),
        now=now,
    )


@bp.route("/payments/<int:payment_id>/receipt")
@login_required
def receipt(payment_id):
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    planet = db.session.get(Planet, payment.planet_id)
    if payment.user_id != current_user.id and not policy.may(
        current_user, policy.Action.VIEW_INCOME, planet
    ):
        abort(404)
    refunds = db.session.scalars(
        select(Refund).where(Refund.payment_id == payment.id).order_by(Refund.id)
    ).all()
    return render_template("payments/receipt.html", payment=payment, planet=planet, refunds=refunds)


@bp.route("/payments/<int:payment_id>/refund", methods=["POST"])
@login_required
def refund(payment_id):
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    form = RefundForm()
    if not form.validate():
        abort(400)
    amount = minor_units(form.amount.data) if form.amount.data is not None else None
    refund = refunds.refund_payment(
        payment, current_user, amount, request_key=form.request_key.data or None
    )
    if payment.user_id == current_user.id:
        flash(_("The refund was made. It reaches the card in a few days."), "success")
        return redirect(url_for("payments.my_memberships"))
    buyer = db.session.get(User, payment.user_id)
    flash(
        _(
            "%(amount)s refunded to %(name)s. It reaches their card in a few days.",
            amount=money(refund.amount, payment.currency),
            name=buyer.display_name if buyer else "",
        ),
        "success",
    )
    planet = db.session.get(Planet, payment.planet_id)
    return redirect(url_for("payments.income", slug=planet.slug))


@bp.route("/p/<slug>/leave")
@login_required
def leave_confirm(slug):
    """Ask before leaving (the POST is members.leave): what is lost (the paid time left, in the
    viewer's time zone), that coming back before it ends gives it back, and the refund while
    the member may still have one (refunds.member_may_refund)."""
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.LEAVE, planet)
    now = utcnow()
    standing = policy.standing_of(current_user, planet)
    membership = standing.membership
    paid_until = None
    expires_at = membership.expires_at
    if not planet.is_free and not standing.is_trial and expires_at and expires_at > now:
        paid_until = expires_at
    return render_template(
        "payments/leave.html",
        planet=planet,
        membership=membership,
        paid_until=paid_until,
        is_trial=standing.is_trial,
        refundable=refunds.refundable_payment(planet.id, current_user.id, now),
        deadline=refunds.refund_deadline,
        leave_form=ActionForm(formdata=None),
        refund_form=RefundForm(formdata=None),
    )


@bp.route("/p/<slug>/auto-renew", methods=["POST"])
@login_required
def auto_renew(slug):
    planet = planet_or_404(slug)
    enabled = request.form.get("enabled") == "1"
    grant.toggle_auto_renewal(planet, current_user, enabled)
    flash(_("Auto-renewal is on.") if enabled else _("Auto-renewal is off."))
    return redirect(url_for("payments.my_memberships"))


@bp.route("/me/earnings", methods=["GET", "POST"])
@login_required
def earnings():
    form = PayoutAccountForm()
    customer = db.session.scalar(
        select(BillingCustomer).where(BillingCustomer.user_id == current_user.id)
    )
    if request.method == "POST":
        if not form.validate():
            abort(400)
        account = (form.account_id.data or "").strip() or None
        if account is not None and not (account.startswith("acct_") and account[5:].isalnum()):
            raise ServiceError(_("A connected account id looks like acct_123."))
        customer = customer or grant.billing_customer(current_user.id)
        customer.connected_account_id = account
        flash(_("Saved."))
        return redirect(url_for("payments.earnings"))
    if customer is not None:
        form.account_id.data = customer.connected_account_id
    rows = reports.earnings_by_planet(current_user.id)
    planets = {
        p.id: p
        for p in db.session.scalars(select(Planet).where(Planet.id.in_({r[0] for r in rows})))
    }
    return render_template(
        "payments/earnings.html",
        balances=settlement.balances(current_user.id),
        rows=rows,
        planets=planets,
        form=form,
    )
