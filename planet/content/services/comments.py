"""Comments on topics: one level of replies, edits and soft deletes with counters kept right."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from planet import jobs
from planet.content.models import Comment, Report, ReportStatus, Topic
from planet.content.services.common import (
    bump,
    check_same_planet,
    close_reports,
    deletable,
    require,
)
from planet.content.services.text import COMMENT_MAX, clean_text, mentioned_user_ids
from planet.errors import NotFound
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.policy import Action
from planet.text import render_markdown


def add_comment(
    planet: Planet, user, topic: Topic, body: str, parent_id: int | None = None
) -> Comment:
    """Comment on a topic; a reply to a reply attaches to the top-level comment."""
    check_same_planet(planet, topic)
    require(user, Action.COMMENT, planet, topic)
    body = clean_text(body, COMMENT_MAX)
    parent = None
    if parent_id is not None:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.topic_id != topic.id or parent.deleted_at is not None:
            raise NotFound(_l("The comment you replied to no longer exists."))
        if parent.parent_id is not None:
            parent = db.session.get(Comment, parent.parent_id)
    comment = Comment(
        planet_id=planet.id,
        topic_id=topic.id,
        author_id=user.id,
        parent_id=parent.id if parent else None,
        body=body,
        body_html=render_markdown(body),
    )
    db.session.add(comment)
    db.session.flush()
    bump(Topic, topic.id, comment_count=+1)
    mentioned = [uid for uid in mentioned_user_ids(planet, body) if uid != user.id]
    jobs.defer("notifications.comment_created", comment_id=comment.id, mentioned_user_ids=mentioned)
    jobs.defer("engagement.comment_created", comment_id=comment.id)
    return comment


def edit_comment(planet: Planet, user, comment: Comment, body: str) -> Comment:
    check_same_planet(planet, comment)
    if comment.deleted_at is not None:
        raise NotFound(_l("This content was deleted."))
    require(user, Action.EDIT_CONTENT, planet, comment)
    comment.body = clean_text(body, COMMENT_MAX)
    comment.body_html = render_markdown(comment.body)
    comment.updated_at = utcnow()
    db.session.flush()
    return comment


def delete_comment(planet: Planet, user, comment: Comment) -> Comment:
    """Soft delete a comment (and the replies under a top-level one); counters fixed."""
    if not deletable(planet, user, comment):
        return comment
    now = utcnow()
    comment.deleted_at = now
    removed = 1
    if comment.parent_id is None:
        removed += db.session.execute(
            update(Comment)
            .where(Comment.parent_id == comment.id, Comment.deleted_at.is_(None))
            .values(deleted_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    bump(Topic, comment.topic_id, comment_count=-removed)
    close_reports(user, Report.comment_id == comment.id, ReportStatus.RESOLVED)
    db.session.flush()
    return comment
