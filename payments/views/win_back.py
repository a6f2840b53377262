"""The owner's win-back page (payments/win_back.py): members whose paid time ends within 30
days, and the one-click actions on each."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from payments import win_back
from payments.forms import WinBackForm
from payments.views import bp, int_or_400
from planet import policy
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.lookup import planet_or_404
from planet.web.cursors import decode_ints, encode, from_micros, to_micros


def _page(planet, status: int = 200):
    after = decode_ints(request.args.get("after"), 2)
    now = utcnow()
    key = (from_micros(after[0]), after[1]) if after else None
    items, next_key = win_back.expiring_page(planet, now, key)
    next_cursor = encode(to_micros(next_key[0]), next_key[1]) if next_key else None
    return render_template(
        "payments/win_back.html",
        planet=planet,
        items=items,
        total=win_back.count_expiring(planet, now),
        next_cursor=next_cursor,
        form=WinBackForm(),
        percents=win_back.COUPON_PERCENTS,
        active_tab="payments.win_back_page",
    ), status


@bp.get("/p/<slug>/win-back")
@login_required
def win_back_page(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_WIN_BACK, planet)
    return _page(planet)


@bp.post("/p/<slug>/win-back/<int:membership_id>/remind")
@login_required
def win_back_remind(slug, membership_id):
    """The renewal reminder, sent now (once per membership period)."""

    def act(planet):
        win_back.remind(planet, current_user, membership_id, utcnow())
        return _("Reminder sent.")

    return _act(slug, act)


@bp.post("/p/<slug>/win-back/<int:membership_id>/coupon")
@login_required
def win_back_coupon(slug, membership_id):
    """A one-use coupon of the chosen discount, sent by private message."""

    def act(planet):
        percent = int_or_400(request.form.get("percent")) or 0
        coupon = win_back.offer_coupon(planet, current_user, membership_id, percent, utcnow())
        return _("Coupon %(code)s sent by private message.", code=coupon.code)

    return _act(slug, act)


def _act(slug, act):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.WIN_BACK, planet)
    if not WinBackForm().validate():
        return _page(planet, 400)
    try:
        message = act(planet)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.reason), "error")
        return _page(planet, error.status)
    flash(message, "success")
    return redirect(url_for("payments.win_back_page", slug=slug))
