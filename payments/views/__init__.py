"""Money pages: join/checkout, pay, wait, my memberships, refunds, income, settings, admin,
and the Stripe webhook (the only CSRF-exempt route)."""

from __future__ import annotations

import csv
import io
import logging
from decimal import Decimal, InvalidOperation

from flask import (
    Blueprint,
    Response,
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
from sqlalchemy import select
from sqlalchemy.orm import aliased

from payments import reports, services, settlement, webhooks
from payments.forms import (
    CheckoutForm,
    CouponForm,
    PartnerForm,
    PayoutAccountForm,
    PricingForm,
    RefundForm,
)
from payments.gateway import SignatureError, get_gateway
from payments.models import (
    PAID_STATUSES,
    AutoRenewal,
    BillingCustomer,
    Coupon,
    CouponKind,
    Payment,
    PaymentStatus,
    PayoutStatus,
    Refund,
    RefundStatus,
)
from planet import jobs, policy
from planet.accounts.models import User
from planet.engagement.activity import remembered_join_source
from planet.errors import ServiceError
from planet.extensions import csrf, db
from planet.members import services as members
from planet.models import utcnow
from planet.planets.models import Membership, Planet
from planet.web.lifecycle import wants_json
from planet.web.lookup import planet_or_404

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)

SYMBOLS = {"cny": "¥", "usd": "$", "eur": "€", "hkd": "HK$"}


@bp.app_template_filter("money")
def money(amount: int | None, currency: str = "cny") -> str:
    amount = int(amount or 0)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return (
        f"{sign}{SYMBOLS.get(currency, currency.upper() + ' ')}{amount // 100}.{amount % 100:02d}"
    )


STATUS_LABELS = {
    PaymentStatus: {
        PaymentStatus.CREATED: _l("Not paid yet"),
        PaymentStatus.REQUIRES_ACTION: _l("Waiting for verification"),
        PaymentStatus.PROCESSING: _l("Processing"),
        PaymentStatus.SUCCEEDED: _l("Paid"),
        PaymentStatus.FAILED: _l("Failed"),
        PaymentStatus.REFUNDED: _l("Refunded"),
        PaymentStatus.PARTIALLY_REFUNDED: _l("Partially refunded"),
    },
    RefundStatus: {
        RefundStatus.PENDING: _l("Refund pending"),
        RefundStatus.SUCCEEDED: _l("Refunded"),
        RefundStatus.FAILED: _l("Refund failed"),
    },
    PayoutStatus: {
        PayoutStatus.PENDING: _l("Payout pending"),
        PayoutStatus.PAID: _l("Paid out"),
        PayoutStatus.PAYABLE: _l("To be paid by hand"),
        PayoutStatus.FAILED: _l("Payout failed"),
    },
}
"""What a payer, owner or admin sees for each stored status (the values stay English)."""


@bp.app_template_filter("status_label")
def status_label(status) -> str:
    """The translated label of a PaymentStatus, RefundStatus or PayoutStatus (a plain string
    is read as a payment status)."""
    labels = STATUS_LABELS.get(type(status), STATUS_LABELS[PaymentStatus])
    label = labels.get(status)
    return str(label) if label is not None else str(status)


@bp.app_template_filter("decline_reason")
def decline_reason(failure_message: str | None) -> str:
    """The translated reason for a failed payment; the provider's English text stays stored."""
    return str(services.decline_reason(failure_message))


def _minor(value) -> int | None:
    """A form's decimal amount (major units) in minor units."""
    if value is None or value == "":
        return None
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Please enter an amount such as 99.00.")) from None


def _int_or_400(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(400)


# ---------------------------------------------------------------- join page and checkout


@bp.route("/p/<slug>/checkout")
def checkout(slug):
    planet = planet_or_404(slug)
    ref = request.args.get("ref", "")[:20]
    coupon_code = request.args.get("coupon", "")[:32]
    pricing = services.pricing_of(planet)
    offer, problem = None, None
    standing = policy.standing_of(current_user, planet)
    if current_user.is_authenticated and not planet.is_free:
        try:
            offer = services.quote(planet, current_user, coupon_code=coupon_code or None, ref=ref)
        except ServiceError as error:
            problem = str(error.reason)
            if coupon_code:
                try:
                    offer = services.quote(planet, current_user, ref=ref)
                except ServiceError:
                    offer = None
        except Exception as error:  # an HTTPException from policy.require
            problem = getattr(error, "description", None) or _("You cannot join this planet.")
    referrer = None
    if ref.isdigit():
        referrer = db.session.get(User, int(ref))
    form = CheckoutForm(
        planet_id=planet.id,
        expected_amount=offer.amount if offer else "",
        coupon=coupon_code,
        ref=ref,
    )
    return render_template(
        "payments/checkout.html",
        planet=planet,
        pricing=pricing,
        offer=offer,
        problem=problem,
        form=form,
        referrer=referrer,
        standing=standing,
        refund_hours=current_app.config.get("REFUND_WINDOW_HOURS", 72),
        active_tab=None,
    )


@bp.route("/p/<slug>/checkout", methods=["POST"])
@login_required
def start_checkout(slug):
    planet = planet_or_404(slug)
    form = CheckoutForm()
    if not form.validate():
        abort(400)
    if _int_or_400(form.planet_id.data) != planet.id:
        raise ServiceError(_("The checkout form does not match this planet. Reload the page."))
    payment = services.start_checkout(
        planet,
        current_user,
        coupon_code=form.coupon.data or None,
        ref=form.ref.data or None,
        auto_renew=bool(form.auto_renew.data),
        expected_amount=_int_or_400(form.expected_amount.data),
        source=remembered_join_source(planet.id),
    )
    if payment.status is PaymentStatus.SUCCEEDED:
        return redirect(url_for("payments.payment_status", payment_id=payment.id))
    return redirect(url_for("payments.pay", payment_id=payment.id))


@bp.route("/payments/<int:payment_id>/pay")
@login_required
def pay(payment_id):
    payment = services.own_payment_or_404(payment_id, current_user)
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
    payment = services.own_payment_or_404(payment_id, current_user)
    data = request.get_json(silent=True) or request.form
    token = data.get("token")
    outcome = services.confirm_payment(
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
    payment = services.own_payment_or_404(payment_id, current_user)
    if payment.status in (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION):
        services.sync_payment(payment)
    return jsonify(status=str(payment.status))


@bp.route("/payments/<int:payment_id>")
@login_required
def payment_status(payment_id):
    payment = services.own_payment_or_404(payment_id, current_user)
    planet = db.session.get(Planet, payment.planet_id)
    if wants_json():
        return jsonify(status=str(payment.status))
    return render_template("payments/status.html", planet=planet, payment=payment)


@bp.route("/p/<slug>/join-free", methods=["POST"])
@login_required
def join_free(slug):
    planet = planet_or_404(slug)
    members.join_free_planet(planet, current_user)
    flash(_("Welcome to %(name)s!", name=planet.name))
    return redirect(url_for("planets.landing", slug=planet.slug))


@bp.route("/p/<slug>/trial", methods=["POST"])
@login_required
def trial(slug):
    planet = planet_or_404(slug)
    services.start_trial(planet, current_user)
    flash(_("Your free trial has started."))
    return redirect(url_for("planets.landing", slug=planet.slug))


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
        may_refund=lambda payment: services.member_may_refund(payment, now),
        deadline=services.refund_deadline,
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
    amount = _minor(form.amount.data) if form.amount.data is not None else None
    services.refund_payment(payment, current_user, amount)
    flash(_("The refund was made. It reaches the card in a few days."))
    if payment.user_id == current_user.id:
        return redirect(url_for("payments.my_memberships"))
    planet = db.session.get(Planet, payment.planet_id)
    return redirect(url_for("payments.income", slug=planet.slug))


@bp.route("/p/<slug>/auto-renew", methods=["POST"])
@login_required
def auto_renew(slug):
    planet = planet_or_404(slug)
    enabled = request.form.get("enabled") == "1"
    services.toggle_auto_renewal(planet, current_user, enabled)
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
        customer = customer or services.billing_customer(current_user.id)
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


# ---------------------------------------------------------------- the owner's side


@bp.route("/p/<slug>/income")
@login_required
def income(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_INCOME, planet)
    now = utcnow()
    summary = reports.planet_income(planet, now)
    if request.args.get("format") == "csv":
        return _income_csv(planet)
    buyer = aliased(User)
    payments = db.session.execute(
        select(Payment, buyer)
        .join(buyer, buyer.id == Payment.user_id)
        .where(Payment.planet_id == planet.id, Payment.status.in_(PAID_STATUSES))
        .order_by(Payment.id.desc())
        .limit(50)
    ).all()
    peak = max([d["gross"] for d in summary.days] + [1])
    return render_template(
        "payments/income.html",
        planet=planet,
        summary=summary,
        payments=payments,
        peak=peak,
        active_tab="payments.income",
        refund_form=RefundForm(),
    )


def _income_csv(planet: Planet) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "payment_id",
            "paid_at",
            "buyer_id",
            "kind",
            "currency",
            "gross",
            "refunded",
            "party",
            "party_user_id",
            "amount",
            "entry_at",
        ]
    )
    from payments.models import LedgerEntry

    rows = db.session.execute(
        select(Payment, LedgerEntry)
        .join(LedgerEntry, LedgerEntry.payment_id == Payment.id)
        .where(Payment.planet_id == planet.id)
        .order_by(Payment.id, LedgerEntry.id)
    ).all()
    for payment, entry in rows:
        writer.writerow(
            [
                payment.id,
                payment.paid_at.isoformat() if payment.paid_at else "",
                payment.user_id,
                payment.kind,
                payment.currency,
                payment.amount,
                payment.refunded_amount,
                entry.party,
                entry.user_id or "",
                entry.amount,
                entry.created_at.isoformat(),
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="income-{planet.slug}.csv"'},
    )


@bp.route("/p/<slug>/money", methods=["GET", "POST"])
@login_required
def money_settings(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.MANAGE_MONEY, planet)
    pricing = services.pricing_of(planet)
    form = PricingForm(prefix="pricing")
    partner_form = PartnerForm(prefix="partner")
    coupon_form = CouponForm(prefix="coupon")
    if request.method == "POST":
        which = request.form.get("form")
        if which == "pricing":
            if not form.validate():
                raise ServiceError(_("Please check the values you entered."))
            services.update_pricing(
                planet,
                current_user,
                renewal_price=_minor(form.renewal_price.data),
                early_renewal_price=_minor(form.early_renewal_price.data),
                grace_price=_minor(form.grace_price.data),
                grace_days=form.grace_days.data or 0,
                trial_days=form.trial_days.data or 0,
                trial_requires_card=bool(form.trial_requires_card.data),
                referral_rate_bps=_minor(form.referral_rate.data) or 0,
            )
        elif which == "partner":
            if not partner_form.validate():
                raise ServiceError(_("Please check the values you entered."))
            user = db.session.scalar(
                select(User).where(User.email == partner_form.email.data.strip().lower())
            )
            if user is None:
                raise ServiceError(_("No one has signed up with that email."))
            services.set_partner(
                planet, current_user, user.id, _minor(partner_form.share.data) or 0
            )
        elif which == "coupon":
            if not coupon_form.validate():
                raise ServiceError(_("Please check the values you entered."))
            kind = CouponKind(coupon_form.kind.data)
            value = coupon_form.value.data
            expires = coupon_form.expires_at.data
            services.create_coupon(
                planet,
                current_user,
                code=coupon_form.code.data,
                kind=kind,
                value=int(value) if kind is CouponKind.PERCENT else _minor(value),
                max_uses=coupon_form.max_uses.data,
                expires_at=expires.replace(tzinfo=utcnow().tzinfo) if expires else None,
            )
        else:
            abort(400)
        flash(_("Saved."))
        return redirect(url_for("payments.money_settings", slug=planet.slug))
    form.renewal_price.data = _major(pricing.renewal_price)
    form.early_renewal_price.data = _major(pricing.early_renewal_price)
    form.grace_price.data = _major(pricing.grace_price)
    form.grace_days.data = pricing.grace_days
    form.trial_days.data = pricing.trial_days
    form.trial_requires_card.data = pricing.trial_requires_card
    form.referral_rate.data = Decimal(pricing.referral_rate_bps or 0) / 100
    partners = db.session.execute(
        select(services.Partner, User)
        .join(User, User.id == services.Partner.user_id)
        .where(services.Partner.planet_id == planet.id)
        .order_by(services.Partner.id)
    ).all()
    coupons = db.session.scalars(
        select(Coupon).where(Coupon.planet_id == planet.id).order_by(Coupon.id.desc()).limit(100)
    ).all()
    return render_template(
        "payments/settings.html",
        planet=planet,
        form=form,
        partner_form=partner_form,
        coupon_form=coupon_form,
        partners=partners,
        coupons=coupons,
        active_tab="payments.income",
    )


def _major(amount: int | None):
    return None if amount is None else Decimal(amount) / 100


# ---------------------------------------------------------------- platform admin


@bp.route("/admin/payments")
@login_required
def admin_payments():
    if not policy.is_platform_admin(current_user):
        abort(403)
    after = _int_or_400(request.args.get("after"))
    statement = (
        select(Payment, Planet)
        .join(Planet, Planet.id == Payment.planet_id)
        .where(Payment.status != PaymentStatus.CREATED)
        .order_by(Payment.id.desc())
        .limit(51)
    )
    if after:
        statement = statement.where(Payment.id < after)
    rows = db.session.execute(statement).all()
    next_cursor = rows[49][0].id if len(rows) > 50 else None
    return render_template(
        "payments/admin.html",
        rows=rows[:50],
        fees=reports.platform_fee_income(),
        next_cursor=next_cursor,
    )


# ---------------------------------------------------------------- the webhook


@bp.route("/webhooks/stripe", methods=["POST"])
@csrf.exempt
def webhook():
    payload = request.get_data(cache=False)
    try:
        event = get_gateway().construct_event(
            payload,
            request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"],
        )
    except SignatureError as error:
        log.info("webhook refused: %s", error)
        return jsonify(error=400, reason="invalid signature"), 400
    if not event.get("id") or not event.get("type"):
        return jsonify(error=400, reason="not an event"), 400
    if event.get("livemode") and not current_app.config.get("STRIPE_LIVEMODE", False):
        log.warning("webhook: live-mode event %s refused in test mode", event.get("id"))
        return jsonify(error=400, reason="wrong mode"), 400
    row, new = webhooks.store_event(event)
    if new or (row is not None and row.processed_at is None):
        jobs.defer("payments.process_event", event_id=row.event_id)
    return jsonify(received=True, duplicate=not new), 200
