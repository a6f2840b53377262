"""Topics: publish (with images, hashtags, mentions, announcements), edit, delete, feature.

Every operation asks planet.policy first, validates its input, flushes and never commits; the
request (or task) commits once.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet import jobs
from planet.content import uploads
from planet.content.models import Attachment, Report, ReportStatus, Topic, TopicKind
from planet.content.services.common import (
    add_topic,
    check_same_planet,
    close_reports,
    deletable,
    require,
)
from planet.content.services.feed import enter_feed, leave_feed, sync_hashtags
from planet.content.services.text import (
    BODY_MAX,
    TITLE_MAX,
    clean_text,
    mentioned_user_ids,
    render_topic_body,
)
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.policy import Action
from planet.text import extract_hashtags

MAX_IMAGES = 9


def _attach_images(planet: Planet, author, topic: Topic, images, attachment_keys) -> None:
    files = [image for image in images or () if uploads.has_file(image)]
    keys = [key for key in (attachment_keys or ()) if key]
    if len(files) + len(keys) > MAX_IMAGES:
        raise ServiceError(_l("At most %(n)d images per topic.", n=MAX_IMAGES), field="images")
    if keys:
        found = db.session.scalars(
            select(Attachment).where(
                Attachment.key.in_(keys),
                Attachment.planet_id == planet.id,
                Attachment.uploader_id == author.id,
                Attachment.topic_id.is_(None),
            )
        ).all()
        if len(found) != len(set(keys)):
            raise NotFound(_l("One of the uploaded images could not be found. Upload it again."))
        for attachment in found:
            attachment.topic_id = topic.id
    for image in files:
        attachment = uploads.store_image(planet.id, author.id, image, field="images")
        attachment.topic_id = topic.id


def create_topic(
    planet: Planet,
    author,
    *,
    title: str = "",
    body: str,
    images=(),
    attachment_keys=(),
    announce: bool = False,
    now: datetime | None = None,
) -> Topic:
    """Publish a topic (with up to 9 images); an announcement is pinned and notifies everyone.
    A scheduled topic is published through here too, at its time (planet/content/drafts): its
    notifications, points and digest place are the publication's, not the writing's."""
    require(author, Action.ANNOUNCE if announce else Action.POST_TOPIC, planet)
    title = clean_text(title, TITLE_MAX, required=False)
    body = clean_text(body, BODY_MAX)
    now = now or utcnow()
    topic = add_topic(
        planet,
        author,
        TopicKind.POST,
        body,
        now,
        title=title,
        is_announcement=announce,
        pinned_at=now if announce else None,
    )
    _attach_images(planet, author, topic, images, attachment_keys)
    sync_hashtags(topic, extract_hashtags(body))
    enter_feed(planet, topic, now)
    db.session.flush()
    mentioned = [uid for uid in mentioned_user_ids(planet, body) if uid != author.id]
    jobs.defer("notifications.topic_created", topic_id=topic.id, mentioned_user_ids=mentioned)
    jobs.defer("engagement.topic_created", topic_id=topic.id)
    if announce:
        jobs.defer("content.announcement", topic_id=topic.id)
    return topic


def edit_topic(planet: Planet, user, topic: Topic, *, title: str = "", body: str) -> Topic:
    check_same_planet(planet, topic)
    require(user, Action.EDIT_CONTENT, planet, topic)
    if topic.deleted_at is not None:
        raise NotFound(_l("This content was deleted."))
    if topic.is_question and topic.answered_at is not None:
        raise Conflict(_l("An answered question can no longer be edited."))
    topic.title = clean_text(title, TITLE_MAX, required=False)
    topic.body = clean_text(body, BODY_MAX)
    topic.body_html = render_topic_body(planet, topic.body)
    topic.updated_at = utcnow()
    sync_hashtags(topic, extract_hashtags(topic.body))
    db.session.flush()
    return topic


def delete_topic(planet: Planet, user, topic: Topic) -> Topic:
    """Soft delete: out of the feed, tags and counters fixed, open reports closed."""
    if not deletable(planet, user, topic):
        return topic
    leave_feed(planet, topic)
    topic.deleted_at = utcnow()
    topic.pinned_at = None
    close_reports(user, Report.topic_id == topic.id, ReportStatus.RESOLVED)
    db.session.flush()
    return topic


def set_featured(planet: Planet, user, topic: Topic, *, what: str, on: bool) -> Topic:
    """Essence (精华) or pin (置顶) on or off; only topics in the feed."""
    check_same_planet(planet, topic)
    require(user, Action.FEATURE_TOPIC, planet, topic)
    if topic.deleted_at is not None or not topic.in_feed:
        raise Conflict(_l("Only published topics can be featured."))
    if what == "essence":
        if on and not topic.is_essence:
            jobs.defer("content.topic_essence_set", topic_id=topic.id)
        topic.is_essence = on
    elif what == "pin":
        topic.pinned_at = utcnow() if on else None
    else:
        raise ServiceError(_l("Choose essence or pin."))
    db.session.flush()
    return topic
