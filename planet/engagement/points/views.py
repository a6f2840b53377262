"""Points: the leaderboards, a member's history and the owner's point values and levels.

Thin: load (lookup), check access (policy), call a service, render.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.accounts.models import User
from planet.engagement.common import (
    Action,
    ActionForm,
    after_cursor,
    bp,
    load_planet,
    next_cursor,
    render,
)
from planet.engagement.points import services
from planet.engagement.points.models import PeriodKind
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.web.cursors import decode_int_cursor
from planet.web.forms import bounded_int

PERIODS = {"week": PeriodKind.WEEK, "month": PeriodKind.MONTH, "all": PeriodKind.ALL}


@bp.route("/points")
def leaderboard(slug):
    planet = load_planet(slug, Action.READ)
    period = request.args.get("period", "week")
    if period not in PERIODS:
        abort(400, description=_("Choose week, month or all time."))
    now = utcnow()
    settings = services.settings_for(planet.id)
    table = services.levels(planet.id, settings)
    rows = services.leaderboard(planet, PERIODS[period], now)
    mine = services.member_total(planet, current_user.id, PeriodKind.ALL, now)
    all_time = {}
    if PERIODS[period] is PeriodKind.ALL:
        all_time = {row.user_id: row.points for row in rows}
    return render(
        "points/leaderboard.html",
        planet,
        rows=rows,
        period=period,
        mine=mine,
        my_level=services.level_for(mine, table),
        levels=table,
        level_for=services.level_for,
        all_time=all_time,
        values=services.point_values(planet.id, settings),
        labels=services.VALUE_LABELS,
        active_tab="engagement.leaderboard",
    )


@bp.route("/points/history")
def points_history(slug):
    planet = load_planet(slug, Action.READ)
    user_id = current_user.id
    other = None
    if request.args.get("user"):
        policy.require(current_user, Action.VIEW_HEALTH, planet)
        user_id = other = decode_int_cursor(request.args["user"])
    rows, cursor = services.history(planet, user_id, after_cursor())
    return render(
        "points/points_history.html",
        planet,
        rows=rows,
        user=db.session.get(User, user_id),
        other=other,
        next_cursor=next_cursor(cursor),
        labels=services.REASON_LABELS,
        active_tab="engagement.leaderboard",
    )


@bp.route("/points/settings", methods=["GET", "POST"])
def points_settings(slug):
    planet = load_planet(slug, Action.EDIT_SETTINGS)
    status = 200
    error = None
    if request.method == "POST":
        ActionForm().validate() or abort(400)
        try:
            values = {
                k: bounded_int(request.form.get(k, "0"), 10**6) for k in services.DEFAULT_VALUES
            }
            thresholds = request.form.getlist("level_threshold")
            names = request.form.getlist("level_name")
            rows = [
                (bounded_int(t, 10**9), n)
                for t, n in zip(thresholds, names, strict=False)
                if t.strip()
            ]
        except ValueError:
            error, status = _("Point values and thresholds must be whole numbers."), 400
        else:
            try:
                services.update_settings(planet, values, rows)
            except ServiceError as failure:
                error, status = str(failure.reason), failure.status
            else:
                flash(_("Points settings saved."), "success")
                return redirect(url_for("engagement.points_settings", slug=planet.slug))
    return render(
        "points/points_settings.html",
        planet,
        status,
        error=error,
        values=services.point_values(planet.id),
        labels=services.VALUE_LABELS,
        levels=services.levels(planet.id),
        form=ActionForm(),
        active_tab="engagement.leaderboard",
    )
