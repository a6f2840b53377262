"""Reading content: keyset-paginated lists with a constant number of SQL queries per page.

Every list orders by an indexed key ((feed_at, id) or id) and fetches one row more than the
page to know whether there is a next page. Reading pages get plain records
(planet/content/cards.py) from Core selects that are built once per process and reused with
bound parameters: one select brings a page's topics with their authors, addressees, answers
and "did the viewer like it?", and one more brings the images of every topic on the page
(pinned ones included). Cursors are signed, so a forged or damaged `?after=` is a clear 400,
never a 500.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Integer, String, and_, bindparam, exists, or_, select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from planet.accounts.models import User
from planet.content.cards import AnswerCard, CommentCard, Image, Person, TopicCard
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
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import UTCDateTime
from planet.planets.models import Planet

SEARCH_MAX = 100
MAX_PAGE_SIZE = 100
PINNED_MAX = 5


@dataclass
class Page:
    items: list
    next_cursor: str | None = None
    liked: set[int] = field(default_factory=set)
    """Ids of the items (and pinned topics) the viewer liked."""
    pinned: list = field(default_factory=list)
    replies: dict[int, list] = field(default_factory=dict)
    """For a page of comments: each top-level comment's replies."""


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


# ---------------------------------------------------------------- statements

topics = Topic.__table__
users = User.__table__
answers = Answer.__table__
comments = Comment.__table__
likes = Like.__table__
attachments = Attachment.__table__
topic_hashtags = TopicHashtag.__table__
hashtags = Hashtag.__table__
author = users.alias("author")
addressee = users.alias("addressee")
answerer = users.alias("answerer")
viewer_like = likes.alias("viewer_like")

_VIEWER = bindparam("viewer_id", type_=Integer)
# Rendered into the SQL text at execution: with LIMIT a parameter, PostgreSQL's generic plan
# for a prepared timeline query guesses a large limit and it keeps planning afresh each time.
_LIMIT = bindparam("limit", type_=Integer, literal_execute=True)
_AFTER_AT = bindparam("after_at", type_=UTCDateTime())
_AFTER_ID = bindparam("after_id", type_=Integer)


def _person_columns(user, prefix: str) -> tuple:
    """A user's id, name and avatar as `<prefix>_id`, `<prefix>_name`, `<prefix>_avatar`."""
    return (
        user.c.id.label(f"{prefix}_id"),
        user.c.display_name.label(f"{prefix}_name"),
        user.c.avatar_path.label(f"{prefix}_avatar"),
    )


def _card_columns():
    """A topic card's columns; `liked` is false for an anonymous viewer (viewer_id NULL)."""
    return (
        topics.c.id,
        topics.c.planet_id,
        topics.c.kind,
        topics.c.title,
        topics.c.body_html,
        topics.c.is_anonymous,
        topics.c.is_announcement,
        topics.c.is_essence,
        topics.c.pinned_at,
        topics.c.answered_at,
        topics.c.in_feed,
        topics.c.feed_at,
        topics.c.created_at,
        topics.c.deleted_at,
        topics.c.like_count,
        topics.c.comment_count,
        *_person_columns(author, "author"),
        *_person_columns(addressee, "addressee"),
        answers.c.id.label("answer_id"),
        answers.c.body_html.label("answer_html"),
        answers.c.created_at.label("answer_at"),
        *_person_columns(answerer, "answerer"),
        viewer_like.c.id.is_not(None).label("liked"),
    )


def _card_from(base=topics):
    # The viewer's like is a join on the unique (user_id, topic_id) index, not an EXISTS:
    # PostgreSQL plans a correlated EXISTS as a hash of all the viewer's likes, because it
    # costs the subplan for every topic in the feed rather than for the page's 21.
    return (
        base.join(author, author.c.id == topics.c.author_id)
        .outerjoin(addressee, addressee.c.id == topics.c.addressee_id)
        .outerjoin(answers, answers.c.topic_id == topics.c.id)
        .outerjoin(answerer, answerer.c.id == answers.c.author_id)
        .outerjoin(
            viewer_like,
            and_(viewer_like.c.user_id == _VIEWER, viewer_like.c.topic_id == topics.c.id),
        )
    )


def _cards_select():
    return select(*_card_columns()).select_from(_card_from())


def _in_feed():
    return (
        topics.c.planet_id == bindparam("planet_id", type_=Integer),
        topics.c.in_feed.is_(True),
        topics.c.deleted_at.is_(None),
    )


def _newest_first(statement, time_col, id_col, with_cursor: bool):
    if with_cursor:
        statement = statement.where(tuple_(time_col, id_col) < tuple_(_AFTER_AT, _AFTER_ID))
    return statement.order_by(time_col.desc(), id_col.desc()).limit(_LIMIT)


@functools.cache
def _feed_statement(view: str, with_cursor: bool):
    """The timeline and its filters (`all`, `essence`, `questions`, `author`), newest first."""
    statement = _cards_select().where(*_in_feed())
    if view == "essence":
        statement = statement.where(topics.c.is_essence.is_(True))
    elif view == "questions":
        statement = statement.where(topics.c.kind == TopicKind.QUESTION)
    elif view == "author":
        # An anonymous question never appears under its asker's name.
        statement = statement.where(
            topics.c.author_id == bindparam("author_id", type_=Integer),
            topics.c.is_anonymous.is_(False),
        )
    return _newest_first(statement, topics.c.feed_at, topics.c.id, with_cursor)


@functools.cache
def _pinned_statement():
    return (
        _cards_select()
        .where(*_in_feed(), topics.c.pinned_at.is_not(None))
        .order_by(topics.c.pinned_at.desc())
        .limit(PINNED_MAX)
    )


@functools.cache
def _tag_statement(with_cursor: bool):
    statement = (
        select(*_card_columns())
        .select_from(
            _card_from(topic_hashtags.join(topics, topics.c.id == topic_hashtags.c.topic_id))
        )
        .where(topic_hashtags.c.hashtag_id == bindparam("hashtag_id", type_=Integer), *_in_feed())
    )
    return _newest_first(
        statement, topic_hashtags.c.feed_at, topic_hashtags.c.topic_id, with_cursor
    )


@functools.cache
def _search_statement(with_cursor: bool):
    pattern = bindparam("pattern", type_=String)
    searched = answers.alias("searched_answer")  # not the card's joined answer
    matches = or_(
        topics.c.title.ilike(pattern, escape="\\"),
        topics.c.body.ilike(pattern, escape="\\"),
        exists().where(
            searched.c.topic_id == topics.c.id, searched.c.body.ilike(pattern, escape="\\")
        ),
    )
    statement = _cards_select().where(*_in_feed(), matches)
    return _newest_first(statement, topics.c.feed_at, topics.c.id, with_cursor)


@functools.cache
def _questions_statement(whose: str, with_cursor: bool):
    """Questions waiting for `person_id` to answer, or asked by them; newest first by id."""
    person = bindparam("person_id", type_=Integer)
    statement = _cards_select().where(
        topics.c.planet_id == bindparam("planet_id", type_=Integer),
        topics.c.kind == TopicKind.QUESTION,
        topics.c.deleted_at.is_(None),
    )
    if whose == "waiting":
        statement = statement.where(topics.c.addressee_id == person, topics.c.answered_at.is_(None))
    else:
        statement = statement.where(topics.c.author_id == person)
    if with_cursor:
        statement = statement.where(topics.c.id < _AFTER_ID)
    return statement.order_by(topics.c.id.desc()).limit(_LIMIT)


@functools.cache
def _topic_statement():
    return _cards_select().where(topics.c.id == bindparam("topic_id", type_=Integer))


@functools.cache
def _images_statement():
    return (
        select(attachments.c.topic_id, attachments.c.key, attachments.c.filename)
        .where(attachments.c.topic_id.in_(bindparam("topic_ids", expanding=True)))
        .order_by(attachments.c.topic_id, attachments.c.id)
    )


# ---------------------------------------------------------------- topics


def _person(person_id, name, avatar) -> Person | None:
    return None if person_id is None else Person(person_id, name, avatar)


def _images_by_topic(topic_ids: list[int]) -> dict[int, tuple[Image, ...]]:
    if not topic_ids:
        return {}
    found: dict[int, list[Image]] = {}
    for row in db.session.execute(_images_statement(), {"topic_ids": topic_ids}):
        found.setdefault(row.topic_id, []).append(Image(row.key, row.filename))
    return {topic_id: tuple(images) for topic_id, images in found.items()}


def _topic_card(row, images: dict[int, tuple[Image, ...]]) -> TopicCard:
    answer = None
    if row.answer_id is not None:
        answer = AnswerCard(
            row.answer_id,
            Person(row.answerer_id, row.answerer_name, row.answerer_avatar),
            row.answer_html,
            row.answer_at,
        )
    return TopicCard(
        id=row.id,
        planet_id=row.planet_id,
        kind=row.kind,
        title=row.title,
        body_html=row.body_html,
        author=Person(row.author_id, row.author_name, row.author_avatar),
        addressee=_person(row.addressee_id, row.addressee_name, row.addressee_avatar),
        is_anonymous=row.is_anonymous,
        is_announcement=row.is_announcement,
        is_essence=row.is_essence,
        pinned_at=row.pinned_at,
        answered_at=row.answered_at,
        in_feed=row.in_feed,
        feed_at=row.feed_at,
        created_at=row.created_at,
        deleted_at=row.deleted_at,
        like_count=row.like_count,
        comment_count=row.comment_count,
        answer=answer,
        images=images.get(row.id, ()),
    )


def _rows(statement, params: dict) -> list:
    return db.session.execute(statement, params).all()


def _topic_page(rows: list, size: int, cursor_of, pinned_rows: list = ()) -> Page:
    """Cards for one page of rows (fetched with one extra row) and the pinned rows."""
    next_row = rows[size - 1] if len(rows) > size else None
    rows = rows[:size]
    images = _images_by_topic([row.id for row in (*pinned_rows, *rows)])
    return Page(
        items=[_topic_card(row, images) for row in rows],
        next_cursor=cursor_of(next_row) if next_row is not None else None,
        liked={row.id for row in (*pinned_rows, *rows) if row.liked},
        pinned=[_topic_card(row, images) for row in pinned_rows],
    )


def _time_cursor(row) -> str:
    return encode_cursor(row.feed_at, row.id)


def _id_cursor(row) -> str:
    return encode_cursor(row.id)


def _time_position(after: str | None) -> dict:
    position = decode_cursor(after, datetime, int)
    return {} if position is None else {"after_at": position[0], "after_id": position[1]}


def _id_position(after: str | None) -> dict:
    position = decode_cursor(after, int)
    return {} if position is None else {"after_id": position[0]}


def feed_page(
    planet: Planet,
    *,
    viewer_id: int | None = None,
    after: str | None = None,
    size: int | None = None,
    essence: bool = False,
    questions: bool = False,
    author_id: int | None = None,
    with_pinned: bool = False,
) -> Page:
    """The planet timeline (or one of its filters), newest first; pinned topics on request."""
    size = size or page_size()
    params = {"planet_id": planet.id, "viewer_id": viewer_id, "limit": size + 1}
    view = "all"
    if essence:
        view = "essence"
    elif questions:
        view = "questions"
    elif author_id is not None:
        view, params["author_id"] = "author", author_id
    position = _time_position(after)
    rows = _rows(_feed_statement(view, bool(position)), params | position)
    pinned_rows = _rows(_pinned_statement(), params) if with_pinned else []
    return _topic_page(rows, size, _time_cursor, pinned_rows)


def popular_hashtags(planet: Planet, limit: int = 12) -> list:
    """(name, topic_count) rows of the planet's most used hashtags."""
    return _rows(_popular_hashtags_statement(), {"planet_id": planet.id, "limit": limit})


@functools.cache
def _popular_hashtags_statement():
    return (
        select(hashtags.c.name, hashtags.c.topic_count)
        .where(
            hashtags.c.planet_id == bindparam("planet_id", type_=Integer),
            hashtags.c.topic_count > 0,
        )
        .order_by(hashtags.c.topic_count.desc(), hashtags.c.id)
        .limit(_LIMIT)
    )


def hashtag_by_name(planet: Planet, name: str) -> Hashtag | None:
    return db.session.scalar(
        select(Hashtag).where(Hashtag.planet_id == planet.id, Hashtag.name == name)
    )


def tag_page(
    planet: Planet, hashtag: Hashtag, *, viewer_id=None, after: str | None = None, size=None
) -> Page:
    size = size or page_size()
    position = _time_position(after)
    params = {
        "planet_id": planet.id,
        "hashtag_id": hashtag.id,
        "viewer_id": viewer_id,
        "limit": size + 1,
    }
    rows = _rows(_tag_statement(bool(position)), params | position)
    return _topic_page(rows, size, _time_cursor)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_query(q) -> str:
    if not isinstance(q, str):
        return ""
    q = " ".join(q.split())
    if len(q) > SEARCH_MAX:
        raise ServiceError(_l("Search for at most %(max)d characters.", max=SEARCH_MAX))
    return q


def search_page(
    planet: Planet, q: str, *, viewer_id=None, after: str | None = None, size=None
) -> Page:
    """Topics in the feed whose title, body or answer contains `q` (case-insensitive).

    Substring matching works for Chinese (no word boundaries) and English alike; on PostgreSQL
    the pg_trgm GIN indexes serve these ILIKE patterns. Only published, undeleted topics are
    searched: what every member may read.
    """
    size = size or page_size()
    position = _time_position(after)
    params = {
        "planet_id": planet.id,
        "pattern": f"%{escape_like(q)}%",
        "viewer_id": viewer_id,
        "limit": size + 1,
    }
    rows = _rows(_search_statement(bool(position)), params | position)
    return _topic_page(rows, size, _time_cursor)


def _questions_page(whose: str, planet: Planet, person_id: int, viewer_id, after, size) -> Page:
    size = size or page_size()
    position = _id_position(after)
    params = {
        "planet_id": planet.id,
        "person_id": person_id,
        "viewer_id": viewer_id,
        "limit": size + 1,
    }
    rows = _rows(_questions_statement(whose, bool(position)), params | position)
    return _topic_page(rows, size, _id_cursor)


def waiting_questions(planet: Planet, user_id: int, after=None, size=None) -> Page:
    """Open questions addressed to `user_id` (the viewer), newest first."""
    return _questions_page("waiting", planet, user_id, user_id, after, size)


def my_questions(planet: Planet, user_id: int, after=None, size=None) -> Page:
    """Questions `user_id` (the viewer) asked, newest first."""
    return _questions_page("mine", planet, user_id, user_id, after, size)


def topic_card(topic_id: int, viewer_id: int | None) -> tuple[TopicCard | None, bool]:
    """One topic as a card, and whether the viewer liked it (two queries)."""
    row = db.session.execute(
        _topic_statement(), {"topic_id": topic_id, "viewer_id": viewer_id}
    ).first()
    if row is None:
        return None, False
    return _topic_card(row, _images_by_topic([row.id])), bool(row.liked)


def topic_options():
    """Everything a topic shows, as ORM loader options (for the pages that edit one)."""
    return (
        joinedload(Topic.author),
        joinedload(Topic.addressee),
        selectinload(Topic.answer).joinedload(Answer.author),
        selectinload(Topic.attachments),
    )


def load_topic(topic_id: int) -> Topic | None:
    return db.session.scalar(select(Topic).where(Topic.id == topic_id).options(*topic_options()))


# ---------------------------------------------------------------- comments


@functools.cache
def _comments_statement(replies: bool, with_cursor: bool):
    statement = (
        select(
            comments.c.id,
            comments.c.topic_id,
            comments.c.parent_id,
            comments.c.body_html,
            comments.c.created_at,
            comments.c.like_count,
            *_person_columns(author, "author"),
            viewer_like.c.id.is_not(None).label("liked"),
        )
        .select_from(
            comments.join(author, author.c.id == comments.c.author_id).outerjoin(
                viewer_like,
                and_(viewer_like.c.user_id == _VIEWER, viewer_like.c.comment_id == comments.c.id),
            )
        )
        .where(
            comments.c.topic_id == bindparam("topic_id", type_=Integer),
            comments.c.deleted_at.is_(None),
        )
    )
    if replies:
        statement = statement.where(
            comments.c.parent_id.in_(bindparam("parent_ids", expanding=True))
        )
        return statement.order_by(comments.c.id)
    statement = statement.where(comments.c.parent_id.is_(None))
    if with_cursor:
        statement = statement.where(comments.c.id > _AFTER_ID)
    return statement.order_by(comments.c.id).limit(_LIMIT)


def _comment_card(row) -> CommentCard:
    return CommentCard(
        id=row.id,
        topic_id=row.topic_id,
        parent_id=row.parent_id,
        author=Person(row.author_id, row.author_name, row.author_avatar),
        body_html=row.body_html,
        created_at=row.created_at,
        like_count=row.like_count,
    )


def comments_page(topic, *, viewer_id=None, after: str | None = None, size=None) -> Page:
    """Top-level comments oldest first, with all their live replies (two queries)."""
    size = size or page_size()
    position = _id_position(after)
    params = {"topic_id": topic.id, "viewer_id": viewer_id, "limit": size + 1}
    rows = _rows(_comments_statement(False, bool(position)), params | position)
    next_row = rows[size - 1] if len(rows) > size else None
    rows = rows[:size]
    replies: dict[int, list[CommentCard]] = {row.id: [] for row in rows}
    reply_rows = []
    if replies:
        reply_rows = _rows(
            _comments_statement(True, False),
            {"topic_id": topic.id, "viewer_id": viewer_id, "parent_ids": list(replies)},
        )
        for row in reply_rows:
            replies[row.parent_id].append(_comment_card(row))
    return Page(
        items=[_comment_card(row) for row in rows],
        next_cursor=_id_cursor(next_row) if next_row is not None else None,
        liked={row.id for row in (*rows, *reply_rows) if row.liked},
        replies=replies,
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
    position = decode_cursor(after, int)
    if position is not None:
        statement = statement.where(Report.id < position[0])
    size = size or page_size()
    rows = list(db.session.scalars(statement.order_by(Report.id.desc()).limit(size + 1)).unique())
    next_cursor = encode_cursor(rows[size - 1].id) if len(rows) > size else None
    return Page(rows[:size], next_cursor)
