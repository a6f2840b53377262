"""What enters and leaves the timeline: a topic's hashtags and the counters that follow it.

Hashtag counts follow topics that are in the feed; the planet's topic count too.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, update

from planet.content.models import Hashtag, Topic, TopicHashtag
from planet.content.services.common import bump
from planet.dbutil import insert_ignore
from planet.extensions import db
from planet.planets.models import Planet
from planet.web import shortcache

POPULAR_HASHTAGS = "popular_hashtags"
"""The short cache's name for planet/content/queries/feed.py:popular_hashtags."""

MAX_HASHTAGS = 20


def sync_hashtags(topic: Topic, names: Iterable[str]) -> None:
    """Make the topic's hashtags exactly `names`; counts follow topics that are in the feed."""
    wanted = list(dict.fromkeys(names))[:MAX_HASHTAGS]
    rows = db.session.execute(
        select(TopicHashtag.hashtag_id, Hashtag.name)
        .join(Hashtag, Hashtag.id == TopicHashtag.hashtag_id)
        .where(TopicHashtag.topic_id == topic.id)
    ).all()
    current = {name: hashtag_id for hashtag_id, name in rows}
    counted = topic.in_feed and topic.deleted_at is None
    removed = [hashtag_id for name, hashtag_id in current.items() if name not in wanted]
    if removed:
        db.session.execute(
            delete(TopicHashtag).where(
                TopicHashtag.topic_id == topic.id, TopicHashtag.hashtag_id.in_(removed)
            )
        )
        if counted:
            _bump_tags(topic.planet_id, removed, -1)
    added = [name for name in wanted if name not in current]
    if not added:
        return
    for name in added:
        insert_ignore(
            Hashtag,
            {"planet_id": topic.planet_id, "name": name, "topic_count": 0},
            ["planet_id", "name"],
        )
    ids = db.session.scalars(
        select(Hashtag.id).where(Hashtag.planet_id == topic.planet_id, Hashtag.name.in_(added))
    ).all()
    for hashtag_id in ids:
        db.session.add(
            TopicHashtag(topic_id=topic.id, hashtag_id=hashtag_id, feed_at=topic.feed_at)
        )
    db.session.flush()
    if counted:
        _bump_tags(topic.planet_id, ids, +1)


def _bump_tags(planet_id: int, hashtag_ids, delta: int) -> None:
    if hashtag_ids:
        shortcache.invalidate(POPULAR_HASHTAGS, planet_id)
        db.session.execute(
            update(Hashtag)
            .where(Hashtag.id.in_(list(hashtag_ids)))
            .values(topic_count=Hashtag.topic_count + delta)
            .execution_options(synchronize_session=False)
        )


def _topic_hashtag_ids(topic: Topic) -> list[int]:
    return list(
        db.session.scalars(select(TopicHashtag.hashtag_id).where(TopicHashtag.topic_id == topic.id))
    )


def enter_feed(planet: Planet, topic: Topic, at) -> None:
    """Publish the topic in the timeline at `at` (a new post, an answered question)."""
    topic.in_feed = True
    topic.feed_at = at
    db.session.execute(
        update(TopicHashtag).where(TopicHashtag.topic_id == topic.id).values(feed_at=at)
    )
    _bump_tags(planet.id, _topic_hashtag_ids(topic), +1)
    db.session.execute(
        update(Planet)
        .where(Planet.id == planet.id)
        .values(topic_count=Planet.topic_count + 1, last_activity_at=at)
        .execution_options(synchronize_session=False)
    )


def leave_feed(planet: Planet, topic: Topic) -> None:
    """Take the topic out of the timeline (deleted, or its answer withdrawn)."""
    if not topic.in_feed:
        return
    topic.in_feed = False
    _bump_tags(planet.id, _topic_hashtag_ids(topic), -1)
    bump(Planet, planet.id, topic_count=-1)
