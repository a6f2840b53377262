"""The topic card's select, shared by every list of topics, and its rows turned into cards.

One select brings a page's topics with their authors, addressees, answers, images and "did
the viewer like it?". The selects are built once per process and reused with bound parameters.
"""

from __future__ import annotations

import json

from sqlalchemy import Integer, and_, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from planet.accounts.models import User
from planet.content.cards import AnswerCard, Image, Person, TopicCard
from planet.content.models import Answer, Attachment, Comment, Hashtag, Like, Topic, TopicHashtag
from planet.content.queries.paging import Page, next_cursor
from planet.dbutil import all_rows
from planet.extensions import db
from planet.models import UTCDateTime

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

VIEWER = bindparam("viewer_id", type_=Integer)
# Rendered into the SQL text at execution: with LIMIT a parameter, PostgreSQL's generic plan
# for a prepared timeline query guesses a large limit and it keeps planning afresh each time.
LIMIT = bindparam("limit", type_=Integer, literal_execute=True)
AFTER_AT = bindparam("after_at", type_=UTCDateTime())
AFTER_ID = bindparam("after_id", type_=Integer)


def person_columns(user, prefix: str) -> tuple:
    """A user's id, name and avatar as `<prefix>_id`, `<prefix>_name`, `<prefix>_avatar`."""
    return (
        user.c.id.label(f"{prefix}_id"),
        user.c.display_name.label(f"{prefix}_name"),
        user.c.avatar_path.label(f"{prefix}_avatar"),
    )


class _ImagesOf(ColumnElement):
    """A topic's images as a JSON array of [key, filename] pairs in upload order, NULL or []
    when it has none: a correlated subquery, evaluated for the rows a page returns (after
    its LIMIT), that saves every list of cards a statement of its own."""

    inherit_cache = True
    _traverse_internals = [("topic_id", InternalTraversal.dp_clauseelement)]

    def __init__(self, topic_id) -> None:
        self.topic_id = topic_id


@compiles(_ImagesOf, "postgresql")
def _images_of_postgresql(element, compiler, **kw) -> str:
    pair = func.json_build_array(attachments.c.key, attachments.c.filename)
    images = select(func.json_agg(aggregate_order_by(pair, attachments.c.id))).where(
        attachments.c.topic_id == element.topic_id
    )
    return compiler.process(images.scalar_subquery(), **kw)


@compiles(_ImagesOf)
def _images_of(element, compiler, **kw) -> str:
    # SQLite before 3.44 has no ORDER BY inside an aggregate: it aggregates in the order
    # of the subquery it reads.
    ordered = (
        select(attachments.c.key, attachments.c.filename)
        .where(attachments.c.topic_id == element.topic_id)
        .order_by(attachments.c.id)
        .correlate(topics)
        .subquery()
    )
    images = select(func.json_group_array(func.json_array(ordered.c.key, ordered.c.filename)))
    return compiler.process(images.scalar_subquery(), **kw)


def card_columns():
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
        topics.c.paid_status,
        topics.c.price,
        topics.c.due_at,
        topics.c.answer_private,
        *person_columns(author, "author"),
        *person_columns(addressee, "addressee"),
        answers.c.id.label("answer_id"),
        answers.c.body_html.label("answer_html"),
        answers.c.created_at.label("answer_at"),
        *person_columns(answerer, "answerer"),
        viewer_like.c.id.is_not(None).label("liked"),
        _ImagesOf(topics.c.id).label("images"),
    )


def card_from(base=topics):
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
            and_(viewer_like.c.user_id == VIEWER, viewer_like.c.topic_id == topics.c.id),
        )
    )


def cards_select():
    return select(*card_columns()).select_from(card_from())


def in_feed():
    """The planet's published, undeleted topics (what every member may read)."""
    return (
        topics.c.planet_id == bindparam("planet_id", type_=Integer),
        topics.c.in_feed.is_(True),
        topics.c.deleted_at.is_(None),
    )


def newest_first(statement, time_col, id_col, with_cursor: bool):
    if with_cursor:
        statement = statement.where(tuple_(time_col, id_col) < tuple_(AFTER_AT, AFTER_ID))
    return statement.order_by(time_col.desc(), id_col.desc()).limit(LIMIT)


def fetch(statement, params: dict) -> list:
    """The rows of one of the lists' selects (built once), read by name: through the driver
    on PostgreSQL (planet/dbutil.py `all_rows`), after the session's autoflush."""
    session = db.session()
    if session.autoflush:
        session.flush()  # what the session's own execute does first; nothing when clean
    return all_rows(session.connection(), statement, params)


def person(person_id, name, avatar) -> Person | None:
    return None if person_id is None else Person(person_id, name, avatar)


def images_of(value) -> tuple[Image, ...]:
    """The card's `images` column: decoded JSON from psycopg, text from SQLite."""
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(Image(key, filename) for key, filename in value or ())


def to_card(row) -> TopicCard:
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
        addressee=person(row.addressee_id, row.addressee_name, row.addressee_avatar),
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
        images=images_of(row.images),
        paid_status=row.paid_status,
        price=row.price,
        due_at=row.due_at,
        answer_private=bool(row.answer_private),
        has_files=_optional(row, "has_files"),
        in_column=_optional(row, "in_column"),
    )


def _optional(row, name: str) -> bool:
    """A flag only the topic page's statement selects: asked of the row's fields, since a
    missing attribute costs SQLAlchemy a raised and caught exception per card."""
    return name in row._fields and bool(getattr(row, name))


def cards_page(found: list, size: int, cursor_of, pinned_rows: list = ()) -> Page:
    """Cards for one page of rows (fetched with one extra row) and the pinned rows."""
    cursor = next_cursor(found, size, cursor_of)
    found = found[:size]
    return Page(
        items=[to_card(row) for row in found],
        next_cursor=cursor,
        liked={row.id for row in (*pinned_rows, *found) if row.liked},
        pinned=[to_card(row) for row in pinned_rows],
    )
