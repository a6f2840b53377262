"""Likes on topics and comments: once per person, safe when two requests race."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from planet.content.models import Comment, Like, Topic
from planet.content.services.common import bump, check_same_planet, require
from planet.dbutil import insert_ignore
from planet.errors import NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.policy import Action


def _like_target(planet: Planet, topic: Topic | None, comment: Comment | None):
    """(the liked object, its topic, the Like column naming it), checked against the planet."""
    if (topic is None) == (comment is None):
        raise ServiceError(_l("Like a topic or a comment."))
    if comment is not None:
        check_same_planet(planet, comment)
        if comment.deleted_at is not None:
            raise NotFound(_l("This content was deleted."))
        parent = db.session.get(Topic, comment.topic_id)
        check_same_planet(planet, parent)
        return comment, parent, "comment_id"
    check_same_planet(planet, topic)
    return topic, topic, "topic_id"


def like(planet: Planet, user, *, topic: Topic | None = None, comment: Comment | None = None):
    """Like once; liking again changes nothing (also when two requests race)."""
    target, parent_topic, column = _like_target(planet, topic, comment)
    require(user, Action.LIKE, planet, parent_topic)
    values = {"user_id": user.id, "planet_id": planet.id, "created_at": utcnow()}
    inserted = insert_ignore(Like, {**values, column: target.id}, ["user_id", column])
    if inserted:
        bump(type(target), target.id, like_count=+1)
    return inserted


def unlike(planet: Planet, user, *, topic: Topic | None = None, comment: Comment | None = None):
    target, parent_topic, column = _like_target(planet, topic, comment)
    require(user, Action.LIKE, planet, parent_topic)
    removed = db.session.execute(
        delete(Like).where(Like.user_id == user.id, getattr(Like, column) == target.id)
    ).rowcount
    if removed:
        bump(type(target), target.id, like_count=-removed)
    return bool(removed)
