"""Segments and campaigns (payments/campaigns.py): the owner's member lists by state and
behaviour, their CSV, the campaigns sent to them with their funnel, and the tracked link."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from payments import campaigns
from payments.forms import CampaignForm
from payments.views import bp
from planet import policy
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.lookup import planet_or_404
from planet.text import csv_safe
from planet.web.cursors import decode_int_cursor


def _segment_or_400():
    try:
        return campaigns.parse_segment(request.values.get("segment"), request.values.get("days"))
    except ServiceError as error:
        abort(400, description=str(error.reason))


def _campaign_form() -> CampaignForm:
    form = CampaignForm()
    form.percent.choices = [("", _("No coupon"))] + [
        (str(p), _("%(p)s%% off", p=p)) for p in campaigns.COUPON_PERCENTS
    ]
    return form


def _segments_page(planet, form=None, status: int = 200):
    segment, days = _segment_or_400()
    now = utcnow()
    rows, next_id = campaigns.segment_page(
        planet, segment, days, now, decode_int_cursor(request.args.get("after"))
    )
    sent = [(c, campaigns.funnel(c)) for c in campaigns.campaigns_of(planet)]
    return render_template(
        "payments/segments.html",
        planet=planet,
        segment=segment,
        days=days,
        segments=[(s, campaigns.LABELS[s], campaigns.DAYS[s]) for s in campaigns.CampaignSegment],
        rows=rows,
        total=campaigns.segment_count(planet, segment, days, now),
        next_id=next_id,
        form=form or _campaign_form(),
        renewal=segment in campaigns.RENEWAL_SEGMENTS,
        sent=sent,
        active_tab="payments.segments",
    ), status


@bp.get("/p/<slug>/segments")
@login_required
def segments(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_SEGMENTS, planet)
    return _segments_page(planet)


@bp.get("/p/<slug>/segments.csv")
@login_required
def segments_csv(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_SEGMENTS, planet)
    segment, days = _segment_or_400()

    def lines():
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["member_id", "name", "role", "joined", "paid_until", "status"])
        for membership, user in campaigns.segment_rows_for_csv(planet, segment, days, utcnow()):
            writer.writerow([
                user.id, csv_safe(user.display_name), str(membership.role),
                membership.started_at.date().isoformat(),
                membership.expires_at.date().isoformat() if membership.expires_at else "",
                str(membership.status),
            ])  # fmt: skip
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    name = f"{planet.slug}-{segment.value}.csv"
    return Response(
        "\ufeff" + "".join(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/p/<slug>/campaigns")
@login_required
def send_campaign(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.SEND_CAMPAIGN, planet)
    segment, days = _segment_or_400()
    form = _campaign_form()
    if not form.validate():
        return _segments_page(planet, form, 400)
    percent = int(form.percent.data) if form.percent.data else None
    try:
        campaign = campaigns.create_campaign(
            planet, current_user, segment, days, form.subject.data, form.body.data, percent,
            utcnow(),
        )  # fmt: skip
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.reason), "error")
        return _segments_page(planet, form, error.status)
    flash(
        _("Sending to %(n)s members. The funnel fills in below as they open it.",
          n=campaign.recipients),
        "success",
    )  # fmt: skip
    return redirect(url_for("payments.campaign_page", slug=slug, campaign_id=campaign.id))


@bp.get("/p/<slug>/campaigns/<int:campaign_id>")
@login_required
def campaign_page(slug, campaign_id):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_SEGMENTS, planet)
    try:
        campaign = campaigns.campaign_of(planet, campaign_id)
    except ServiceError:
        abort(404)
    return render_template(
        "payments/campaign.html",
        planet=planet,
        campaign=campaign,
        funnel=campaigns.funnel(campaign),
        label=campaigns.LABELS[campaign.segment],
        active_tab="payments.segments",
    )


@bp.get("/c/<token>")
def campaign_link(token):
    target = campaigns.open_link(token)
    if target is None:
        abort(404)
    return redirect(target)
