"""Reading content: keyset-paginated lists with a constant number of SQL queries per page.

Every list orders by an indexed key ((feed_at, id) or id) and fetches one row more than the
page to know whether there is a next page; authors, addressees, answers and images are loaded
eagerly; "did I like these?" is one query for a whole page. Cursors are signed, so a forged or
damaged `?after=` is a clear 400, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, or_, select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from planet.content.models import (
    Answer,
    Comment,
    Hashtag,
    Like,
    Report,
    ReportStatus,
    Topic,
    TopicHashtag,
    TopicKind,
)
from planet.errors import ServiceError
from planet.extensions import db
from planet.planets.models import Planet

SEARCH_MAX = 100
MAX_PAGE_SIZE = 100


@dataclass
class Page:
    items: list
    next_cursor: str | None = None
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------- cursors


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="planet.content.cursor")


def encode_cursor(*values) -> str:
    return _serializer().dumps(
        [value.isoformat() if isinstance(value, datetime) else value for value in values]
    )


def _bad_cursor():
    return ServiceError(_l("This page link is invalid or out of date. Start again from the top."))


def decode_cursor(cursor: str | None, *kinds: type):
    """Decode `?after=`; returns None for no cursor, a tuple of `kinds` otherwise (400 if bad)."""
    if not cursor:
        return None
    if len(cursor) > 200:
        raise _bad_cursor()
    try:
        values = _serializer().loads(cursor)
    except BadSignature:
        raise _bad_cursor() from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise _bad_cursor()
    decoded = []
    for value, kind in zip(values, kinds, strict=True):
        try:
            if kind is datetime:
                value = datetime.fromisoformat(value)
                if value.tzinfo is None:
                    raise ValueError
                value = value.astimezone(UTC)
            elif kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError
            decoded.append(value)
        except (TypeError, ValueError):
            raise _bad_cursor() from None
    return tuple(decoded)


def page_size() -> int:
    return max(1, min(int(current_app.config.get("PAGE_SIZE", 20)), MAX_PAGE_SIZE))


# ---------------------------------------------------------------- topics


def topic_options():
    """Everything a topic card shows, in a constant number of queries."""
    return (
        joinedload(Topic.author),
        joinedload(Topic.addressee),
        selectinload(Topic.answer).joinedload(Answer.author),
        selectinload(Topic.attachments),
    )


def _feed_page(statement, after: str | None, size: int, time_col, id_col) -> Page:
    position = decode_cursor(after, datetime, int)
    if position is not None:
        statement = statement.where(tuple_(time_col, id_col) < tuple_(*position))
    statement = statement.order_by(time_col.desc(), id_col.desc()).limit(size + 1)
    rows = list(db.session.scalars(statement).unique())
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor(last.feed_at, last.id)
    return Page(rows, next_cursor)


def _visible_in_feed(planet: Planet):
    return (Topic.planet_id == planet.id, Topic.in_feed.is_(True), Topic.deleted_at.is_(None))


def feed_page(
    planet: Planet,
    *,
    after: str | None = None,
    size: int | None = None,
    essence: bool = False,
    questions: bool = False,
    author_id: int | None = None,
) -> Page:
    """The planet timeline (or one of its filters), newest first."""
    statement = select(Topic).where(*_visible_in_feed(planet)).options(*topic_options())
    if essence:
        statement = statement.where(Topic.is_essence.is_(True))
    if questions:
        statement = statement.where(Topic.kind == TopicKind.QUESTION)
    if author_id is not None:
        # An anonymous question never appears under its asker's name.
        statement = statement.where(Topic.author_id == author_id, Topic.is_anonymous.is_(False))
    return _feed_page(statement, after, size or page_size(), Topic.feed_at, Topic.id)


def pinned_topics(planet: Planet, limit: int = 5) -> list[Topic]:
    statement = (
        select(Topic)
        .where(*_visible_in_feed(planet), Topic.pinned_at.is_not(None))
        .options(*topic_options())
        .order_by(Topic.pinned_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(statement).unique())


def popular_hashtags(planet: Planet, limit: int = 12) -> list[Hashtag]:
    return list(
        db.session.scalars(
            select(Hashtag)
            .where(Hashtag.planet_id == planet.id, Hashtag.topic_count > 0)
            .order_by(Hashtag.topic_count.desc(), Hashtag.id)
            .limit(limit)
        )
    )


def hashtag_by_name(planet: Planet, name: str) -> Hashtag | None:
    return db.session.scalar(
        select(Hashtag).where(Hashtag.planet_id == planet.id, Hashtag.name == name)
    )


def tag_page(planet: Planet, hashtag: Hashtag, after: str | None = None, size=None) -> Page:
    statement = (
        select(Topic)
        .join(TopicHashtag, TopicHashtag.topic_id == Topic.id)
        .where(TopicHashtag.hashtag_id == hashtag.id, *_visible_in_feed(planet))
        .options(*topic_options())
    )
    return _feed_page(
        statement, after, size or page_size(), TopicHashtag.feed_at, TopicHashtag.topic_id
    )


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_query(q) -> str:
    if not isinstance(q, str):
        return ""
    q = " ".join(q.split())
    if len(q) > SEARCH_MAX:
        raise ServiceError(_l("Search for at most %(max)d characters.", max=SEARCH_MAX))
    return q


def search_page(planet: Planet, q: str, after: str | None = None, size=None) -> Page:
    """Topics in the feed whose title, body or answer contains `q` (case-insensitive).

    Substring matching works for Chinese (no word boundaries) and English alike; on PostgreSQL
    the pg_trgm GIN indexes serve these ILIKE patterns. Only published, undeleted topics are
    searched: what every member may read.
    """
    pattern = f"%{escape_like(q)}%"
    matches = or_(
        Topic.title.ilike(pattern, escape="\\"),
        Topic.body.ilike(pattern, escape="\\"),
        exists().where(Answer.topic_id == Topic.id, Answer.body.ilike(pattern, escape="\\")),
    )
    statement = select(Topic).where(*_visible_in_feed(planet), matches).options(*topic_options())
    return _feed_page(statement, after, size or page_size(), Topic.feed_at, Topic.id)


def _id_page(statement, after: str | None, size: int, id_col, ascending=False) -> Page:
    position = decode_cursor(after, int)
    if position is not None:
        statement = statement.where(id_col > position[0] if ascending else id_col < position[0])
    statement = statement.order_by(id_col.asc() if ascending else id_col.desc()).limit(size + 1)
    rows = list(db.session.scalars(statement).unique())
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor(rows[-1].id)
    return Page(rows, next_cursor)


def waiting_questions(planet: Planet, user_id: int, after=None, size=None) -> Page:
    """Open questions addressed to `user_id`, newest first."""
    statement = (
        select(Topic)
        .where(
            Topic.planet_id == planet.id,
            Topic.addressee_id == user_id,
            Topic.answered_at.is_(None),
            Topic.deleted_at.is_(None),
            Topic.kind == TopicKind.QUESTION,
        )
        .options(*topic_options())
    )
    return _id_page(statement, after, size or page_size(), Topic.id)


def my_questions(planet: Planet, user_id: int, after=None, size=None) -> Page:
    statement = (
        select(Topic)
        .where(
            Topic.planet_id == planet.id,
            Topic.author_id == user_id,
            Topic.kind == TopicKind.QUESTION,
            Topic.deleted_at.is_(None),
        )
        .options(*topic_options())
    )
    return _id_page(statement, after, size or page_size(), Topic.id)


def load_topic(topic_id: int) -> Topic | None:
    return db.session.scalar(select(Topic).where(Topic.id == topic_id).options(*topic_options()))


# ---------------------------------------------------------------- comments and likes


def comments_page(topic: Topic, after: str | None = None, size=None) -> Page:
    """Top-level comments oldest first, with all their live replies (two queries)."""
    statement = (
        select(Comment)
        .where(
            Comment.topic_id == topic.id,
            Comment.parent_id.is_(None),
            Comment.deleted_at.is_(None),
        )
        .options(joinedload(Comment.author))
    )
    page = _id_page(statement, after, size or page_size(), Comment.id, ascending=True)
    replies: dict[int, list[Comment]] = {comment.id: [] for comment in page.items}
    if replies:
        rows = db.session.scalars(
            select(Comment)
            .where(
                Comment.topic_id == topic.id,
                Comment.parent_id.in_(list(replies)),
                Comment.deleted_at.is_(None),
            )
            .options(joinedload(Comment.author))
            .order_by(Comment.id)
        )
        for reply in rows:
            replies[reply.parent_id].append(reply)
    page.extra["replies"] = replies
    return page


def liked_by(user, topic_ids=(), comment_ids=()) -> tuple[set[int], set[int]]:
    """Which of these topics and comments `user` liked: one query for a whole page."""
    topic_ids, comment_ids = list(topic_ids), list(comment_ids)
    if not getattr(user, "is_authenticated", False) or not (topic_ids or comment_ids):
        return set(), set()
    conditions = []
    if topic_ids:
        conditions.append(Like.topic_id.in_(topic_ids))
    if comment_ids:
        conditions.append(Like.comment_id.in_(comment_ids))
    rows = db.session.execute(
        select(Like.topic_id, Like.comment_id).where(Like.user_id == user.id, or_(*conditions))
    ).all()
    return (
        {row.topic_id for row in rows if row.topic_id is not None},
        {row.comment_id for row in rows if row.comment_id is not None},
    )


# ---------------------------------------------------------------- reports


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
    return _id_page(statement, after, size or page_size(), Report.id)
