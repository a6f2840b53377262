"""Notification pages: the list (unread count), mark read, email and digest preferences, and the
one-click digest unsubscribe (a signed link; no login)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from planet.extensions import csrf, db
from planet.notifications import services, tokens
from planet.notifications.models import DigestFrequency, Kind
from planet.planets.models import Membership, MembershipStatus, Planet
from planet.web.cursors import decode_int_cursor
from planet.web.forms import db_id

bp = Blueprint("notifications", __name__)
PAGE = 30


@bp.get("/me/notifications")
@login_required
def index():
    after = decode_int_cursor(request.args.get("after"))
    items = services.list_for(current_user.id, after, PAGE + 1)
    next_cursor = items[PAGE - 1].id if len(items) > PAGE else None
    items = items[:PAGE]
    rows = []
    for item in items:
        data = json.loads(item.data or "{}")
        rows.append(
            {
                "item": item,
                "title": services.title_of(item, data),
                "link": services.link_of(item, data),
            }
        )
    return render_template(
        "notifications/index.html",
        rows=rows,
        unread=services.unread_count(current_user.id),
        cap=services.UNREAD_CAP,
        next_cursor=next_cursor,
    )


@bp.post("/me/notifications/read")
@login_required
def mark_read():
    raw = request.form.getlist("id")
    ids = None
    if raw:
        try:
            ids = [db_id(value) for value in raw]
        except ValueError:
            abort(400, description=_("Invalid notification."))
    services.mark_read(current_user.id, ids)
    return redirect(url_for("notifications.index"))


def _my_planets():
    return list(
        db.session.execute(
            select(Planet)
            .join(Membership, Membership.planet_id == Planet.id)
            .where(
                Membership.user_id == current_user.id,
                Membership.status == MembershipStatus.ACTIVE,
            )
            .order_by(Planet.name)
        ).scalars()
    )


@bp.route("/me/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    planets = _my_planets()
    if request.method == "POST":
        try:
            kinds = {Kind(value) for value in request.form.getlist("email")}
            choices = {}
            for planet in planets:
                value = request.form.get(f"digest-{planet.id}", DigestFrequency.WEEKLY.value)
                choices[planet.id] = DigestFrequency(value)
        except ValueError:
            abort(400, description=_("Please choose from the options shown."))
        services.set_preferences(current_user.id, kinds)
        for planet_id, frequency in choices.items():
            services.set_digest_frequency(current_user.id, planet_id, frequency)
        flash(_("Your notification settings were saved."), "success")
        return redirect(url_for("notifications.preferences"))
    return render_template(
        "notifications/preferences.html",
        prefs=services.preferences_of(current_user.id),
        labels=services.KIND_LABELS,
        planets=[(p, services.digest_frequency(current_user.id, p.id)) for p in planets],
        frequencies=[
            (DigestFrequency.DAILY, _("Daily")),
            (DigestFrequency.WEEKLY, _("Weekly")),
            (DigestFrequency.OFF, _("Off")),
        ],
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click POSTs come from mail clients; the signed token is the proof
def unsubscribe(token):
    parsed = tokens.read_unsubscribe_token(token)
    planet = db.session.get(Planet, parsed[1]) if parsed else None
    if planet is None:
        abort(400, description=_("This unsubscribe link is not valid."))
    if request.method == "POST":
        services.unsubscribe_with_token(token)
        return render_template("notifications/unsubscribed.html", planet=planet, done=True)
    return render_template(
        "notifications/unsubscribed.html", planet=planet, done=False, token=token
    )
