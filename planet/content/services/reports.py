"""Reports: a member reports a topic or comment; a moderator upholds (deletes) or dismisses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet import jobs
from planet.content.models import Comment, Report, ReportStatus, Topic
from planet.content.services.comments import delete_comment
from planet.content.services.common import check_same_planet, require
from planet.content.services.text import REPORT_REASON_MAX, clean_text
from planet.content.services.topics import delete_topic
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.policy import Action


def file_report(
    planet: Planet,
    user,
    *,
    topic: Topic | None = None,
    comment: Comment | None = None,
    reason: str,
) -> Report:
    """Report a topic or comment to the planet's moderators (one open report per person)."""
    if (topic is None) == (comment is None):
        raise ServiceError(_l("Report a topic or a comment."))
    target = topic if topic is not None else comment
    check_same_planet(planet, target)
    readable_topic = topic if topic is not None else db.session.get(Topic, comment.topic_id)
    require(user, Action.READ_TOPIC, planet, readable_topic)
    if target.deleted_at is not None:
        raise NotFound(_l("This content was deleted."))
    require(user, Action.REPORT, planet, target)
    reason = clean_text(reason, REPORT_REASON_MAX, what=_l("Please say what is wrong."))
    column = Report.topic_id if topic is not None else Report.comment_id
    existing = db.session.scalar(
        select(Report).where(
            column == target.id, Report.reporter_id == user.id, Report.status == ReportStatus.OPEN
        )
    )
    if existing is not None:
        return existing
    report = Report(
        planet_id=planet.id,
        reporter_id=user.id,
        topic_id=topic.id if topic is not None else None,
        comment_id=comment.id if comment is not None else None,
        reason=reason,
    )
    db.session.add(report)
    db.session.flush()
    jobs.defer("content.report_filed", report_id=report.id)
    return report


def _open_report(planet: Planet, user, report: Report) -> None:
    check_same_planet(planet, report)
    require(user, Action.MODERATE, planet)
    if report.status is not ReportStatus.OPEN:
        raise Conflict(_l("This report was already handled."))


def _close(report: Report, user, status: ReportStatus) -> Report:
    report.status = status
    report.resolved_by_id = user.id
    report.resolved_at = utcnow()
    return report


def resolve_report(planet: Planet, user, report: Report) -> Report:
    """Uphold a report: delete the content (closing every open report on it)."""
    _open_report(planet, user, report)
    if report.topic_id is not None:
        delete_topic(planet, user, db.session.get(Topic, report.topic_id))
    elif report.comment_id is not None:
        delete_comment(planet, user, db.session.get(Comment, report.comment_id))
    db.session.refresh(report)
    if report.status is ReportStatus.OPEN:  # the content was already gone
        _close(report, user, ReportStatus.RESOLVED)
    db.session.flush()
    return report


def dismiss_report(planet: Planet, user, report: Report) -> Report:
    _open_report(planet, user, report)
    _close(report, user, ReportStatus.DISMISSED)
    db.session.flush()
    return report
