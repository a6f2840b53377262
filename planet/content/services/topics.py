"""Content write operations: topics, questions and answers, comments, likes, featuring,
hashtags, edits, soft deletes, reports and announcements.

Every operation asks planet.policy first, validates its input, flushes and never commits; the
request (or task) commits once. Counters (likes, comments, topics, hashtag uses) are updated
with SQL expressions so concurrent requests do not lose increments.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from planet import jobs, policy
from planet.accounts.models import User
from planet.content import uploads
from planet.content.models import (
    Answer,
    Attachment,
    Comment,
    Hashtag,
    Like,
    Report,
    ReportStatus,
    Topic,
    TopicHashtag,
    TopicKind,
)
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role
from planet.policy import Action
from planet.text import extract_hashtags, mention_candidates, render_content, render_markdown

TITLE_MAX = 120
BODY_MAX = 20_000
ANSWER_MAX = 20_000
COMMENT_MAX = 2_000
REPORT_REASON_MAX = 500
MAX_IMAGES = 9
MAX_MENTIONS = 20


# ---------------------------------------------------------------- helpers


def require(user, action: Action, planet: Planet, target=None) -> None:
    """The policy's answer as a ServiceError (works in requests, tasks and the CLI alike)."""
    decision = policy.decide(user, action, planet, target)
    if not decision:
        raise ServiceError(decision.reason, decision.status)


def _text(value, limit: int, *, required: bool = True, what=None) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ServiceError(_l("Please send text."))
    value = value.strip()
    if required and not value:
        raise ServiceError(what or _l("Please write something first."))
    if len(value) > limit:
        raise ServiceError(_l("That is too long: at most %(max)d characters.", max=limit))
    return value


def _render_topic_body(planet: Planet, body: str) -> str:
    return render_content(
        body, tag_url=lambda name: url_for("content.tag", slug=planet.slug, name=name)
    )


def _insert_ignore(model, values: dict) -> int:
    """INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite; returns rows inserted."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = model.__table__
    statement = module.insert(table).values(**values).on_conflict_do_nothing().returning(table.c.id)
    # Count returned rows: drivers disagree on rowcount for INSERT ... RETURNING.
    return len(db.session.execute(statement).all())


def _bump(model, object_id: int, **deltas: int) -> None:
    values = {name: getattr(model, name) + delta for name, delta in deltas.items()}
    db.session.execute(
        update(model)
        .where(model.id == object_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _refresh(*objects) -> None:
    for obj in objects:
        db.session.refresh(obj)


def _check_same_planet(planet: Planet, *objects) -> None:
    for obj in objects:
        if obj is None or obj.planet_id != planet.id:
            raise NotFound(_l("We could not find that."))


def mentioned_user_ids(planet: Planet, text: str) -> list[int]:
    """Ids of the planet's active members whose display name follows an `@` in `text`."""
    candidates = mention_candidates(text)
    if not candidates:
        return []
    rows = db.session.execute(
        select(Membership, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.planet_id == planet.id,
            Membership.status == MembershipStatus.ACTIVE,
            User.display_name.in_(sorted(candidates)[:500]),
        )
        .order_by(Membership.user_id)
    ).all()
    now = utcnow()
    ids = [
        membership.user_id
        for membership, _name in rows
        if policy.membership_state(membership, now)[0] is policy.MemberState.ACTIVE
    ]
    return ids[:MAX_MENTIONS]


# ---------------------------------------------------------------- hashtags


def _sync_hashtags(topic: Topic, names: Iterable[str]) -> None:
    """Make the topic's hashtags exactly `names`; counts follow topics that are in the feed."""
    wanted = list(dict.fromkeys(names))[:20]
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
            _bump_tags(removed, -1)
    added = [name for name in wanted if name not in current]
    if not added:
        return
    for name in added:
        _insert_ignore(Hashtag, {"planet_id": topic.planet_id, "name": name, "topic_count": 0})
    ids = db.session.scalars(
        select(Hashtag.id).where(Hashtag.planet_id == topic.planet_id, Hashtag.name.in_(added))
    ).all()
    for hashtag_id in ids:
        db.session.add(
            TopicHashtag(topic_id=topic.id, hashtag_id=hashtag_id, feed_at=topic.feed_at)
        )
    db.session.flush()
    if counted:
        _bump_tags(ids, +1)


def _bump_tags(hashtag_ids, delta: int) -> None:
    if hashtag_ids:
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


def _enter_feed(planet: Planet, topic: Topic, at) -> None:
    topic.in_feed = True
    topic.feed_at = at
    db.session.execute(
        update(TopicHashtag).where(TopicHashtag.topic_id == topic.id).values(feed_at=at)
    )
    _bump_tags(_topic_hashtag_ids(topic), +1)
    db.session.execute(
        update(Planet)
        .where(Planet.id == planet.id)
        .values(topic_count=Planet.topic_count + 1, last_activity_at=at)
        .execution_options(synchronize_session=False)
    )


def _leave_feed(planet: Planet, topic: Topic) -> None:
    if not topic.in_feed:
        return
    topic.in_feed = False
    _bump_tags(_topic_hashtag_ids(topic), -1)
    _bump(Planet, planet.id, topic_count=-1)


# ---------------------------------------------------------------- topics


def _attach_images(planet: Planet, author, topic: Topic, images, attachment_keys) -> None:
    files = [image for image in images or () if uploads.has_file(image)]
    keys = [key for key in (attachment_keys or ()) if key]
    if len(files) + len(keys) > MAX_IMAGES:
        raise ServiceError(_l("At most %(n)d images per topic.", n=MAX_IMAGES))
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
        attachment = uploads.store_image(planet.id, author.id, image)
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
) -> Topic:
    """Publish a topic (with up to 9 images); an announcement is pinned and notifies everyone."""
    require(author, Action.ANNOUNCE if announce else Action.POST_TOPIC, planet)
    title = _text(title, TITLE_MAX, required=False)
    body = _text(body, BODY_MAX)
    now = utcnow()
    topic = Topic(
        planet_id=planet.id,
        author_id=author.id,
        kind=TopicKind.POST,
        title=title,
        body=body,
        body_html=_render_topic_body(planet, body),
        in_feed=False,
        feed_at=now,
        created_at=now,
        is_announcement=announce,
        pinned_at=now if announce else None,
    )
    db.session.add(topic)
    db.session.flush()
    _attach_images(planet, author, topic, images, attachment_keys)
    _sync_hashtags(topic, extract_hashtags(body))
    _enter_feed(planet, topic, now)
    db.session.flush()
    mentioned = [uid for uid in mentioned_user_ids(planet, body) if uid != author.id]
    jobs.defer("content.topic_created", topic_id=topic.id, mentioned_user_ids=mentioned)
    if announce:
        jobs.defer("content.announcement", topic_id=topic.id)
    return topic


def edit_topic(planet: Planet, user, topic: Topic, *, title: str = "", body: str) -> Topic:
    _check_same_planet(planet, topic)
    require(user, Action.EDIT_CONTENT, planet, topic)
    if topic.deleted_at is not None:
        raise NotFound(_l("This content was deleted."))
    if topic.is_question and topic.answered_at is not None:
        raise Conflict(_l("An answered question can no longer be edited."))
    topic.title = _text(title, TITLE_MAX, required=False)
    topic.body = _text(body, BODY_MAX)
    topic.body_html = _render_topic_body(planet, topic.body)
    topic.updated_at = utcnow()
    _sync_hashtags(topic, extract_hashtags(topic.body))
    db.session.flush()
    return topic


def delete_topic(planet: Planet, user, topic: Topic) -> Topic:
    """Soft delete: out of the feed, tags and counters fixed, open reports closed."""
    _check_same_planet(planet, topic)
    require(user, Action.DELETE_CONTENT, planet, topic)
    if topic.deleted_at is not None:
        return topic
    _leave_feed(planet, topic)
    topic.deleted_at = utcnow()
    topic.pinned_at = None
    _close_reports(user, Report.topic_id == topic.id, ReportStatus.RESOLVED)
    db.session.flush()
    return topic


def set_featured(planet: Planet, user, topic: Topic, *, what: str, on: bool) -> Topic:
    """Essence (精华) or pin (置顶) on or off; only topics in the feed."""
    _check_same_planet(planet, topic)
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


# ---------------------------------------------------------------- questions


def question_addressees(planet: Planet) -> list[tuple[Membership, User]]:
    """The owner and the planet's guests who are active now (the people one may ask)."""
    rows = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.planet_id == planet.id,
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role.in_([Role.OWNER, Role.GUEST]),
        )
        .order_by(Membership.role.desc(), Membership.id)
    ).all()
    now = utcnow()
    return [
        (membership, user)
        for membership, user in rows
        if policy.membership_state(membership, now)[0] is policy.MemberState.ACTIVE
    ]


def ask_question(
    planet: Planet, asker, *, addressee_id: int, body: str, anonymous: bool = False
) -> Topic:
    """A member asks the owner or a guest; it stays out of the feed until answered."""
    require(asker, Action.ASK_QUESTION, planet)
    if not isinstance(addressee_id, int):
        raise ServiceError(_l("Choose whom to ask."))
    addressee = db.session.scalar(
        select(Membership).where(
            Membership.planet_id == planet.id, Membership.user_id == addressee_id
        )
    )
    if addressee is None:
        raise ServiceError(_l("Questions can only be asked to the owner or a guest."))
    require(asker, Action.ASK_QUESTION, planet, addressee)
    if anonymous and not planet.anonymous_questions:
        raise ServiceError(_l("Anonymous questions are switched off in this planet."))
    body = _text(body, BODY_MAX)
    now = utcnow()
    topic = Topic(
        planet_id=planet.id,
        author_id=asker.id,
        kind=TopicKind.QUESTION,
        title="",
        body=body,
        body_html=_render_topic_body(planet, body),
        addressee_id=addressee_id,
        is_anonymous=bool(anonymous),
        in_feed=False,
        feed_at=now,
        created_at=now,
    )
    db.session.add(topic)
    db.session.flush()
    _sync_hashtags(topic, extract_hashtags(body))
    jobs.defer("content.question_asked", topic_id=topic.id)
    return topic


def answer_question(planet: Planet, user, topic: Topic, body: str) -> Answer:
    """Only the one asked answers, once; the question then enters the feed."""
    _check_same_planet(planet, topic)
    require(user, Action.ANSWER_QUESTION, planet, topic)
    body = _text(body, ANSWER_MAX)
    now = utcnow()
    answer = Answer(
        topic_id=topic.id,
        author_id=user.id,
        body=body,
        body_html=_render_topic_body(planet, body),
        created_at=now,
    )
    db.session.add(answer)
    topic.answered_at = now
    _enter_feed(planet, topic, now)
    db.session.flush()
    jobs.defer("content.question_answered", topic_id=topic.id)
    return answer


def edit_answer(planet: Planet, user, topic: Topic, answer: Answer, body: str) -> Answer:
    _check_same_planet(planet, topic)
    if answer is None or answer.topic_id != topic.id or topic.deleted_at is not None:
        raise NotFound(_l("We could not find that."))
    require(user, Action.EDIT_CONTENT, planet, answer)
    answer.body = _text(body, ANSWER_MAX)
    answer.body_html = _render_topic_body(planet, answer.body)
    answer.updated_at = utcnow()
    db.session.flush()
    return answer


def delete_answer(planet: Planet, user, topic: Topic, answer: Answer) -> Topic:
    """Withdraw an answer: the question is open again and leaves the feed."""
    _check_same_planet(planet, topic)
    if answer is None or answer.topic_id != topic.id or topic.deleted_at is not None:
        raise NotFound(_l("We could not find that."))
    require(user, Action.DELETE_CONTENT, planet, answer)
    db.session.delete(answer)
    topic.answered_at = None
    topic.pinned_at = None
    _leave_feed(planet, topic)
    db.session.flush()
    return topic


# ---------------------------------------------------------------- comments


def add_comment(
    planet: Planet, user, topic: Topic, body: str, parent_id: int | None = None
) -> Comment:
    """Comment on a topic; a reply to a reply attaches to the top-level comment."""
    _check_same_planet(planet, topic)
    require(user, Action.COMMENT, planet, topic)
    body = _text(body, COMMENT_MAX)
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
    _bump(Topic, topic.id, comment_count=+1)
    mentioned = [uid for uid in mentioned_user_ids(planet, body) if uid != user.id]
    jobs.defer("content.comment_created", comment_id=comment.id, mentioned_user_ids=mentioned)
    return comment


def edit_comment(planet: Planet, user, comment: Comment, body: str) -> Comment:
    _check_same_planet(planet, comment)
    if comment.deleted_at is not None:
        raise NotFound(_l("This content was deleted."))
    require(user, Action.EDIT_CONTENT, planet, comment)
    comment.body = _text(body, COMMENT_MAX)
    comment.body_html = render_markdown(comment.body)
    comment.updated_at = utcnow()
    db.session.flush()
    return comment


def delete_comment(planet: Planet, user, comment: Comment) -> Comment:
    """Soft delete a comment (and the replies under a top-level one); counters fixed."""
    _check_same_planet(planet, comment)
    require(user, Action.DELETE_CONTENT, planet, comment)
    if comment.deleted_at is not None:
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
    _bump(Topic, comment.topic_id, comment_count=-removed)
    _close_reports(user, Report.comment_id == comment.id, ReportStatus.RESOLVED)
    db.session.flush()
    return comment


# ---------------------------------------------------------------- likes


def _like_target(planet: Planet, topic: Topic | None, comment: Comment | None):
    if (topic is None) == (comment is None):
        raise ServiceError(_l("Like a topic or a comment."))
    if comment is not None:
        _check_same_planet(planet, comment)
        if comment.deleted_at is not None:
            raise NotFound(_l("This content was deleted."))
        topic = db.session.get(Topic, comment.topic_id)
    _check_same_planet(planet, topic)
    return topic


def like(planet: Planet, user, *, topic: Topic | None = None, comment: Comment | None = None):
    """Like once; liking again changes nothing (also when two requests race)."""
    parent_topic = _like_target(planet, topic, comment)
    require(user, Action.LIKE, planet, parent_topic)
    values = {"user_id": user.id, "planet_id": planet.id, "created_at": utcnow()}
    if comment is not None:
        inserted = _insert_ignore(Like, {**values, "comment_id": comment.id})
        if inserted:
            _bump(Comment, comment.id, like_count=+1)
    else:
        inserted = _insert_ignore(Like, {**values, "topic_id": topic.id})
        if inserted:
            _bump(Topic, topic.id, like_count=+1)
    return bool(inserted)


def unlike(planet: Planet, user, *, topic: Topic | None = None, comment: Comment | None = None):
    parent_topic = _like_target(planet, topic, comment)
    require(user, Action.LIKE, planet, parent_topic)
    if comment is not None:
        removed = db.session.execute(
            delete(Like).where(Like.user_id == user.id, Like.comment_id == comment.id)
        ).rowcount
        if removed:
            _bump(Comment, comment.id, like_count=-removed)
    else:
        removed = db.session.execute(
            delete(Like).where(Like.user_id == user.id, Like.topic_id == topic.id)
        ).rowcount
        if removed:
            _bump(Topic, topic.id, like_count=-removed)
    return bool(removed)


# ---------------------------------------------------------------- reports


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
    _check_same_planet(planet, target)
    readable_topic = topic if topic is not None else db.session.get(Topic, comment.topic_id)
    require(user, Action.READ_TOPIC, planet, readable_topic)
    if target.deleted_at is not None:
        raise NotFound(_l("This content was deleted."))
    require(user, Action.REPORT, planet, target)
    reason = _text(reason, REPORT_REASON_MAX, what=_l("Please say what is wrong."))
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


def _close_reports(user, condition, status: ReportStatus) -> None:
    db.session.execute(
        update(Report)
        .where(condition, Report.status == ReportStatus.OPEN)
        .values(status=status, resolved_by_id=user.id, resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def resolve_report(planet: Planet, user, report: Report) -> Report:
    """Uphold a report: delete the content (closing every open report on it)."""
    _check_same_planet(planet, report)
    require(user, Action.MODERATE, planet)
    if report.status is not ReportStatus.OPEN:
        raise Conflict(_l("This report was already handled."))
    if report.topic_id is not None:
        delete_topic(planet, user, db.session.get(Topic, report.topic_id))
    elif report.comment_id is not None:
        delete_comment(planet, user, db.session.get(Comment, report.comment_id))
    _refresh(report)
    if report.status is ReportStatus.OPEN:  # the content was already gone
        report.status = ReportStatus.RESOLVED
        report.resolved_by_id = user.id
        report.resolved_at = utcnow()
    db.session.flush()
    return report


def dismiss_report(planet: Planet, user, report: Report) -> Report:
    _check_same_planet(planet, report)
    require(user, Action.MODERATE, planet)
    if report.status is not ReportStatus.OPEN:
        raise Conflict(_l("This report was already handled."))
    report.status = ReportStatus.DISMISSED
    report.resolved_by_id = user.id
    report.resolved_at = utcnow()
    db.session.flush()
    return report
