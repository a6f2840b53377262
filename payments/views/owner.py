"""The owner's side (income, money settings) and the platform admin's payments list."""

from __future__ import annotations

import csv
import io
import logging
from decimal import Decimal

from babel.dates import get_day_names
from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from payments import coupon_audit, pricing, reports, weekly_report
from payments.forms import (
    CouponForm,
    PartnerForm,
    PricingForm,
    RefundForm,
    WeeklyReportForm,
)
from payments.models import (
    PAID_STATUSES,
    Coupon,
    CouponKind,
    Partner,
    Payment,
    PaymentStatus,
    ProviderMismatch,
)
from payments.views import bp, int_or_400, minor_units
from planet import policy
from planet.accounts.models import User
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.lookup import planet_or_404
from planet.planets.models import Planet
from planet.web.cursors import decode_ints, encode, from_micros, to_micros

log = logging.getLogger(__name__)


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


def _weekly_report_form(planet: Planet) -> WeeklyReportForm:
    names = get_day_names("wide", locale=str(get_locale() or "en"))
    form = WeeklyReportForm()
    form.day.choices = [("off", _("Off"))] + [(str(d), names[d]) for d in range(7)]
    if request.method == "GET":
        day = planet.weekly_report_day
        form.day.data = "off" if day is None else str(day)
    return form


@bp.route("/p/<slug>/weekly-report", methods=["GET", "POST"])
@login_required
def weekly_report_page(slug):
    """The owner's weekly report as it would be mailed today, and the day it is mailed."""
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_INCOME, planet)
    form = _weekly_report_form(planet)
    status = 200
    if request.method == "POST":
        policy.require(current_user, policy.Action.SET_WEEKLY_REPORT, planet)
        if form.validate():
            planet.weekly_report_day = None if form.day.data == "off" else int(form.day.data)
            flash(_("Saved."), "success")
            return redirect(url_for("payments.weekly_report_page", slug=slug))
        status = 400
    report = weekly_report.build(planet, utcnow())
    return render_template(
        "payments/weekly_report.html",
        planet=planet,
        report=report,
        subject=weekly_report.subject(report),
        form=form,
        active_tab="payments.income",
        topic_url=lambda topic: url_for("content.topic", slug=slug, topic_id=topic.id),
        excerpt=weekly_report.excerpt,
    ), status


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
    settings = pricing.pricing_of(planet)
    form = PricingForm(prefix="pricing")
    partner_form = PartnerForm(prefix="partner")
    coupon_form = CouponForm(prefix="coupon")
    if request.method == "POST":
        which = request.form.get("form")
        if which == "pricing":
            if not form.validate():
                raise ServiceError(_("Please check the values you entered."))
            pricing.update_pricing(
                planet,
                current_user,
                renewal_price=minor_units(form.renewal_price.data),
                early_renewal_price=minor_units(form.early_renewal_price.data),
                grace_price=minor_units(form.grace_price.data),
                grace_days=form.grace_days.data or 0,
                trial_days=form.trial_days.data or 0,
                trial_requires_card=bool(form.trial_requires_card.data),
                referral_rate_bps=minor_units(form.referral_rate.data) or 0,
            )
        elif which == "partner":
            if not partner_form.validate():
                raise ServiceError(_("Please check the values you entered."))
            user = db.session.scalar(
                select(User).where(User.email == partner_form.email.data.strip().lower())
            )
            if user is None:
                raise ServiceError(_("No one has signed up with that email."))
            pricing.set_partner(
                planet, current_user, user.id, minor_units(partner_form.share.data) or 0
            )
        elif which == "coupon":
            if not coupon_form.validate():
                raise ServiceError(_("Please check the values you entered."))
            kind = CouponKind(coupon_form.kind.data)
            value = coupon_form.value.data
            expires = coupon_form.expires_at.data
            pricing.create_coupon(
                planet,
                current_user,
                code=coupon_form.code.data,
                kind=kind,
                value=int(value) if kind is CouponKind.PERCENT else minor_units(value),
                max_uses=coupon_form.max_uses.data,
                expires_at=expires.replace(tzinfo=utcnow().tzinfo) if expires else None,
            )
        else:
            abort(400)
        flash(_("Saved."))
        return redirect(url_for("payments.money_settings", slug=planet.slug))
    form.renewal_price.data = _major(settings.renewal_price)
    form.early_renewal_price.data = _major(settings.early_renewal_price)
    form.grace_price.data = _major(settings.grace_price)
    form.grace_days.data = settings.grace_days
    form.trial_days.data = settings.trial_days
    form.trial_requires_card.data = settings.trial_requires_card
    form.referral_rate.data = Decimal(settings.referral_rate_bps or 0) / 100
    partners = db.session.execute(
        select(Partner, User)
        .join(User, User.id == Partner.user_id)
        .where(Partner.planet_id == planet.id)
        .order_by(Partner.id)
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
        coupon_attempts=coupon_audit.attempts_of(planet),
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
    after = int_or_400(request.args.get("after"))
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
    found, mismatch_cursor = _mismatch_page(request.args.get("mismatches_after"))
    return render_template(
        "payments/admin.html",
        rows=rows[:50],
        fees=reports.platform_fee_income(),
        next_cursor=next_cursor,
        mismatches=found,
        mismatch_cursor=mismatch_cursor,
    )


MISMATCH_PAGE = 50


def _mismatch_page(raw: str | None):
    """What reconciliation found, newest first: keyset-paged on (created_at, id)."""
    cursor = decode_ints(raw, 2)
    statement = (
        select(ProviderMismatch, User)
        .outerjoin(User, User.id == ProviderMismatch.user_id)
        .order_by(ProviderMismatch.created_at.desc(), ProviderMismatch.id.desc())
        .limit(MISMATCH_PAGE + 1)
    )
    if cursor is not None:
        moment, last_id = from_micros(cursor[0]), cursor[1]
        statement = statement.where(
            or_(
                ProviderMismatch.created_at < moment,
                and_(ProviderMismatch.created_at == moment, ProviderMismatch.id < last_id),
            )
        )
    found = db.session.execute(statement).all()
    if len(found) <= MISMATCH_PAGE:
        return found, None
    last = found[MISMATCH_PAGE - 1][0]
    return found[:MISMATCH_PAGE], encode(to_micros(last.created_at), last.id)
