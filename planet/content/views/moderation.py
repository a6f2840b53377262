"""Moderation: essence and pin, reporting content, and the moderators' report queue."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.content.forms import ReportForm
from planet.content.models import Report
from planet.content.queries.reports import open_reports
from planet.content.services import reports as report_service
from planet.content.services import topics
from planet.content.views.common import (
    bp,
    comment_or_404,
    done,
    form_flow,
    topic_or_404,
    topic_url,
    writing,
)
from planet.planets.lookup import in_planet_or_404
from planet.policy import Action
from planet.web.redirects import redirect_back


@bp.post("/t/<int:topic_id>/feature")
def feature(slug, topic_id):
    planet = writing(slug)
    topic = topic_or_404(planet, topic_id)
    what = request.form.get("what", "")
    on = request.form.get("on", "")
    if what not in ("essence", "pin") or on not in ("0", "1"):
        abort(400, description=_("Choose essence or pin."))
    topics.set_featured(planet, current_user, topic, what=what, on=on == "1")
    return redirect_back(topic_url(planet, topic))


@bp.route("/t/<int:topic_id>/report", methods=["GET", "POST"], defaults={"comment_id": None})
@bp.route("/c/<int:comment_id>/report", methods=["GET", "POST"], defaults={"topic_id": None})
def report(slug, topic_id, comment_id):
    planet = writing(slug)
    if comment_id is not None:
        item, topic = comment_or_404(planet, comment_id)
        objects = {"comment": item}
    else:
        item = topic = topic_or_404(planet, topic_id)
        objects = {"topic": item}
    policy.require(current_user, Action.REPORT, planet, item)
    form = ReportForm()
    return form_flow(
        planet,
        form,
        _("Report"),
        save=lambda: report_service.file_report(
            planet, current_user, reason=form.reason.data, **objects
        ),
        done=topic_url(planet, topic),
        cancel=topic_url(planet, topic),
        message=_("Thank you. The moderators will look at it."),
    )


@bp.get("/reports")
def reports(slug):
    planet = writing(slug)
    policy.require(current_user, Action.MODERATE, planet)
    page = open_reports(planet, after=request.args.get("after"))
    return render_template(
        "content/reports.html", planet=planet, reports=page.items, next_cursor=page.next_cursor
    )


def _close_report(slug, report_id: int, close, message: str):
    planet = writing(slug)
    item = in_planet_or_404(Report, report_id, planet)
    close(planet, current_user, item)
    return done(message, url_for("content.reports", slug=planet.slug))


@bp.post("/reports/<int:report_id>/resolve")
def resolve_report(slug, report_id):
    return _close_report(
        slug,
        report_id,
        report_service.resolve_report,
        _("The content was deleted and the report closed."),
    )


@bp.post("/reports/<int:report_id>/dismiss")
def dismiss_report(slug, report_id):
    return _close_report(
        slug, report_id, report_service.dismiss_report, _("The report was dismissed.")
    )
