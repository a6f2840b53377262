"""Community health for owners: the health page (activity, unanswered questions, retention,
the join funnel), its CSV exports and the least-active members.

Thin: load (lookup), check access (policy), call a service, render.
"""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet.engagement.charts import bar_chart
from planet.engagement.common import (
    Action,
    ActionForm,
    bp,
    load_item,
    load_planet,
    next_cursor,
    render,
)
from planet.engagement.insights import health, health_snapshot
from planet.members.services import remove_member
from planet.models import utcnow
from planet.planets.models import Membership
from planet.text import csv_safe
from planet.web.cursors import decode_ints


@bp.route("/points/inactive")
def least_active(slug):
    planet = load_planet(slug, Action.VIEW_HEALTH)
    weeks = request.args.get("weeks", "4")
    if weeks not in ("1", "4", "12", "26"):
        abort(400, description=_("Choose a period of 1, 4, 12 or 26 weeks."))
    after = decode_ints(request.args.get("after"), 2)
    rows, cursor = health.least_active(planet, utcnow(), int(weeks), after)
    return render(
        "insights/least_active.html",
        planet,
        rows=rows,
        weeks=weeks,
        next_cursor=next_cursor(cursor),
        form=ActionForm(),
        active_tab="engagement.health",
    )


@bp.route("/points/inactive/<int:mid>/remove", methods=["POST"])
def remove_inactive(slug, mid):
    planet, membership = load_item(slug, Action.REMOVE_MEMBER, Membership, mid)
    remove_member(planet, current_user, membership)
    flash(_("The member was removed."), "success")
    return redirect(url_for("engagement.least_active", slug=planet.slug))


@bp.route("/health", endpoint="health")
def health_view(slug):
    planet = load_planet(slug, Action.VIEW_HEALTH)
    now = utcnow()
    figures = health_snapshot.activity_health(planet, now)
    funnel = health.funnel(planet, now)
    weekly_chart = None
    if figures.ready:
        weekly_chart = bar_chart(
            [(d.strftime("%m-%d"), n) for d, n in figures.weekly], title=_("Weekly active members")
        )
    return render(
        "insights/health.html",
        planet,
        activity=figures,
        weekly=figures.weekly,
        weekly_chart=weekly_chart,
        members=figures.members,
        share=figures.share,
        cooling=figures.cooling,
        may_refresh=health_snapshot.may_refresh(figures, now),
        unanswered=health.unanswered_questions(planet, now),
        retention=health.retention(planet, now),
        funnel=funnel,
        funnel_top=max([1, *(n for stages in funnel.values() for n in stages.values())]),
        churn_min=health.CHURN_MIN_MEMBERS,
        source_label=_source_label,
        stage_label=_stage_label,
        form=ActionForm(),
        active_tab="engagement.health",
    )


@bp.route("/health/refresh", methods=["POST"])
def health_refresh(slug):
    planet = load_planet(slug, Action.VIEW_HEALTH)
    if health_snapshot.request_refresh(planet, utcnow()):
        flash(
            _("The activity figures are being recomputed. Reload this page in a minute."), "success"
        )
    else:
        flash(
            _(
                "A recomputation was asked for less than five minutes ago. "
                "Reload this page in a minute."
            ),
            "warning",
        )
    return redirect(url_for("engagement.health", slug=planet.slug), 303)


def _source_label(source) -> str:
    return {"referral": _("Referral link"), "discover": _("Discover page"), "direct": _("Direct")}[
        str(source)
    ]


def _stage_label(stage) -> str:
    return {"view": _("Landing views"), "checkout": _("Checkout started"), "paid": _("Paid")}[
        str(stage)
    ]


CSV_TABLES = (
    "weekly_active",
    "members",
    "cooling",
    "unanswered",
    "retention",
    "funnel",
    "least_active",
)


@bp.route("/health/<table>.csv")
def health_csv(slug, table):
    planet = load_planet(slug, Action.VIEW_HEALTH)
    if table not in CSV_TABLES:
        abort(404)
    now = utcnow()
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "weekly_active":
        writer.writerow(["week_start", "active_members"])
        writer.writerows((d.isoformat(), n) for d, n in health.weekly_active(planet, now, 52))
    elif table == "members":
        writer.writerow(["user_id", "name", "topics", "answers", "comments", "other", "total"])
        for user_id, name, *counts in health.by_member_export(planet, now):
            writer.writerow([user_id, csv_safe(name), *counts])
    elif table == "cooling":
        report = health.cooling(planet, now, limit=100_000)
        writer.writerow(["user_id", "name", "baseline_activity", "recent_activity", "alert"])
        for user, base, recent in report.quiet:
            writer.writerow([user.id, csv_safe(user.display_name), base, recent, report.alert])
    elif table == "unanswered":
        writer.writerow(["topic_id", "asked_at", "asker", "addressee"])
        for topic in health.unanswered_questions(planet, now, limit=1000):
            writer.writerow(
                [
                    topic.id,
                    topic.created_at.isoformat(),
                    csv_safe(topic.author.display_name),
                    csv_safe(topic.addressee.display_name if topic.addressee else ""),
                ]
            )
    elif table == "retention":
        data = health.retention(planet, now)
        writer.writerow(["metric", "value"])
        for key in ("days", "joined", "renewed", "expired", "ended", "churn", "renewal_rate"):
            writer.writerow([key, data[key]])
    elif table == "funnel":
        writer.writerow(["source", "view", "checkout", "paid"])
        for source, stages in health.funnel(planet, now).items():
            writer.writerow([source.value, *(stages[s] for s in stages)])
    else:
        writer.writerow(["user_id", "name", "activity"])
        for user_id, name, activity in health.least_active_export(planet, now):
            writer.writerow([user_id, csv_safe(name), activity])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{planet.slug}-{table}.csv"'},
    )
