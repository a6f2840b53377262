"""Drafts: save, schedule, unschedule, delete and publish now. Each asks the policy, checks
that the draft belongs to the planet and to the person, flushes and never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from planet import policy
from planet.content import uploads
from planet.content.drafts.models import KEYS_MAX, Draft, DraftState
from planet.content.models import Attachment, Topic
from planet.content.services.text import BODY_MAX, TITLE_MAX, clean_text
from planet.content.services.topics import MAX_IMAGES, create_topic
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.policy import Action

MAX_AHEAD = timedelta(days=731)
"""How far ahead a post may be scheduled (two years)."""
MAX_OPEN = 200
"""Unpublished drafts one person may keep in one planet."""
LIST_MAX = MAX_OPEN


def may_write(planet: Planet, user, announce: bool) -> None:
    policy.require(user, Action.SCHEDULE_POST, planet)
    if announce:
        policy.require(user, Action.ANNOUNCE, planet)


def visible(planet: Planet, user, draft: Draft | None) -> Draft:
    """The draft, if it is in this planet and `user` may see it (else NotFound: a draft that is
    not yours does not exist for you)."""
    if draft is None or draft.planet_id != planet.id:
        raise NotFound(_l("We could not find that draft."))
    decision = policy.decide(user, Action.VIEW_DRAFT, planet, draft)
    if not decision:
        raise NotFound(_l("We could not find that draft."))
    return draft


def own(planet: Planet, user, draft: Draft | None) -> Draft:
    """The draft, if `user` wrote it and it is still unpublished."""
    visible(planet, user, draft)
    if draft.author_id != user.id:
        raise NotFound(_l("We could not find that draft."))
    if not draft.is_open:
        raise Conflict(_l("This draft was already published."))
    return draft


def _image_keys(planet: Planet, author, draft: Draft | None, images, attachment_keys) -> str:
    """The draft's images: those it had, those just uploaded (stored now, unattached until the
    draft is published) and those named by key (the author's, not yet attached)."""
    keys = list(draft.keys if draft else [])
    named = [key for key in (attachment_keys or ()) if key and key not in keys]
    if named:
        found = db.session.scalars(
            select(Attachment.key).where(
                Attachment.key.in_(named),
                Attachment.planet_id == planet.id,
                Attachment.uploader_id == author.id,
                Attachment.topic_id.is_(None),
            )
        ).all()
        if len(found) != len(set(named)):
            raise NotFound(_l("One of the uploaded images could not be found. Upload it again."))
        keys += list(dict.fromkeys(named))
    files = [image for image in images or () if uploads.has_file(image)]
    if len(keys) + len(files) > MAX_IMAGES:
        raise ServiceError(_l("At most %(n)d images per topic.", n=MAX_IMAGES), field="images")
    for image in files:
        keys.append(uploads.store_image(planet.id, author.id, image, field="images").key)
    text = " ".join(keys)
    if len(text) > KEYS_MAX:
        raise ServiceError(_l("At most %(n)d images per topic.", n=MAX_IMAGES), field="images")
    return text


def save_draft(
    planet: Planet,
    author,
    *,
    title: str = "",
    body: str,
    announce: bool = False,
    images=(),
    attachment_keys=(),
    draft: Draft | None = None,
) -> Draft:
    """Create a draft, or change one (a scheduled one goes back to being a draft: schedule it
    again to keep its time)."""
    may_write(planet, author, announce)
    if draft is not None:
        own(planet, author, draft)
    else:
        count = db.session.scalar(
            select(func.count())
            .select_from(Draft)
            .where(
                Draft.planet_id == planet.id,
                Draft.author_id == author.id,
                Draft.state != DraftState.PUBLISHED,
            )
        )
        if count >= MAX_OPEN:
            raise Conflict(_l("You have %(n)d drafts here already. Publish or delete some first.",
                              n=MAX_OPEN))  # fmt: skip
    title = clean_text(title, TITLE_MAX, required=False)
    body = clean_text(body, BODY_MAX)
    keys = _image_keys(planet, author, draft, images, attachment_keys)
    now = utcnow()
    if draft is None:
        draft = Draft(planet_id=planet.id, author_id=author.id, created_at=now)
        db.session.add(draft)
    draft.title, draft.body, draft.announce, draft.attachment_keys = title, body, announce, keys
    draft.state, draft.publish_at, draft.failure = DraftState.DRAFT, None, ""
    draft.updated_at = now
    db.session.flush()
    return draft


def schedule(planet: Planet, author, draft: Draft, publish_at: datetime | None, now=None):
    """Publish the draft at `publish_at` (an aware instant): in the future, at most two years
    ahead."""
    own(planet, author, draft)
    may_write(planet, author, draft.announce)
    now = now or utcnow()
    if publish_at is None:
        raise ServiceError(_l("Choose when to publish it."), field="publish_at")
    if publish_at.tzinfo is None:
        raise ServiceError(_l("Choose when to publish it."), field="publish_at")
    if publish_at <= now:
        raise ServiceError(_l("That time has passed. Choose a time in the future."),
                           field="publish_at")  # fmt: skip
    if publish_at > now + MAX_AHEAD:
        raise ServiceError(_l("Schedule at most two years ahead."), field="publish_at")
    draft.state, draft.publish_at, draft.failure = DraftState.SCHEDULED, publish_at, ""
    draft.updated_at = now
    db.session.flush()
    return draft


def unschedule(planet: Planet, author, draft: Draft) -> Draft:
    own(planet, author, draft)
    draft.state, draft.publish_at = DraftState.DRAFT, None
    draft.updated_at = utcnow()
    db.session.flush()
    return draft


def delete_draft(planet: Planet, author, draft: Draft) -> None:
    own(planet, author, draft)
    db.session.delete(draft)
    db.session.flush()


def publish(planet: Planet, author, draft: Draft, now: datetime) -> Topic:
    """Publish the draft as a topic through `create_topic` (the policy asked again, now), and
    mark it published. The caller holds the draft's row lock."""
    topic = create_topic(
        planet,
        author,
        title=draft.title,
        body=draft.body,
        attachment_keys=draft.keys,
        announce=draft.announce,
        now=now,
    )
    draft.state, draft.topic_id, draft.published_at = DraftState.PUBLISHED, topic.id, now
    draft.failure, draft.updated_at = "", now
    db.session.flush()
    return topic


def publish_now(planet: Planet, author, draft: Draft) -> Topic:
    """The author publishes a draft (or a scheduled one early). Under the draft's row lock, so
    a second click, or the sweep at the same moment, finds it published."""
    own(planet, author, draft)
    db.session.refresh(draft, with_for_update=True)
    own(planet, author, draft)
    return publish(planet, author, draft, utcnow())


def open_drafts(planet: Planet, user) -> list[Draft]:
    """The person's unpublished drafts here: scheduled ones by time, then the others, newest
    first."""
    rows = db.session.scalars(
        select(Draft)
        .where(
            Draft.planet_id == planet.id,
            Draft.author_id == user.id,
            Draft.state != DraftState.PUBLISHED,
        )
        .order_by(Draft.id.desc())
        .limit(LIST_MAX)
    ).all()
    scheduled = sorted(
        (d for d in rows if d.state is DraftState.SCHEDULED), key=lambda d: d.publish_at
    )
    return scheduled + [d for d in rows if d.state is not DraftState.SCHEDULED]


def others_scheduled_announcements(planet: Planet, user) -> list[Draft]:
    """Announcements others scheduled, for the moderators who may see them (the policy asks
    for each)."""
    if not policy.may(user, Action.MODERATE, planet):
        return []
    rows = db.session.scalars(
        select(Draft)
        .where(
            Draft.planet_id == planet.id,
            Draft.announce.is_(True),
            Draft.state == DraftState.SCHEDULED,
            Draft.author_id != user.id,
        )
        .order_by(Draft.publish_at, Draft.id)
        .limit(LIST_MAX)
    ).all()
    return [d for d in rows if policy.may(user, Action.VIEW_DRAFT, planet, d)]


def recently_published(planet: Planet, user, limit: int = 10) -> list[Draft]:
    return list(
        db.session.scalars(
            select(Draft)
            .where(
                Draft.planet_id == planet.id,
                Draft.author_id == user.id,
                Draft.state == DraftState.PUBLISHED,
            )
            .order_by(Draft.published_at.desc(), Draft.id.desc())
            .limit(limit)
        )
    )
