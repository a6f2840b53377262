"""The moderators' queue: a planet's open reports, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from planet.content.models import Comment, Report, ReportStatus, Topic
from planet.content.queries.paging import Page, id_cursor, id_position, next_cursor, page_size
from planet.extensions import db
from planet.planets.models import Planet


def open_reports(planet: Planet, after=None, size=None) -> Page:
    statement = (
        select(Report)
        .where(Report.planet_id == planet.id, Report.status == ReportStatus.OPEN)
        .options(
            joinedload(Report.reporter),
            joinedload(Report.topic).joinedload(Topic.author),
            joinedload(Report.comment).joinedload(Comment.author),
        )
    )
    position = id_position(after)
    if position:
        statement = statement.where(Report.id < position["after_id"])
    size = size or page_size()
    found = list(db.session.scalars(statement.order_by(Report.id.desc()).limit(size + 1)).unique())
    return Page(found[:size], next_cursor(found, size, id_cursor))
