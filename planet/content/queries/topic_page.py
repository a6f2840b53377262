"""A topic page: the topic as a card, its comments with their replies, and the topic as an
ORM object for the pages that edit it."""

from __future__ import annotations

import functools

from sqlalchemy import Integer, and_, any_, bindparam, exists, func, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from planet.content.cards import CommentCard, Person, TopicCard
from planet.content.models import Answer, Topic
from planet.content.queries.paging import Page, id_cursor, id_position, next_cursor, page_size
from planet.content.queries.rows import (
    AFTER_ID,
    LIMIT,
    VIEWER,
    author,
    cards_select,
    comments,
    fetch,
    person_columns,
    to_card,
    topics,
    viewer_like,
)
from planet.extensions import db
from planet.web import shortcache

SHOWN = bindparam("shown", type_=Integer, literal_execute=True)
"""How many of the page's top-level comments are shown (the page reads one more)."""


@functools.cache
def _topic_statement():
    from planet.content.columns.models import ColumnEntry
    from planet.content.library.models import PlanetFile

    files = (
        exists()
        .where(PlanetFile.topic_id == topics.c.id, PlanetFile.deleted_at.is_(None))
        .label("has_files")
    )  # the page lists them only when there are some: no query otherwise
    in_column = exists().where(ColumnEntry.topic_id == topics.c.id).label("in_column")
    return (
        cards_select()
        .add_columns(files, in_column)
        .where(topics.c.id == bindparam("topic_id", type_=Integer))
    )


def topic_card(topic_id: int, viewer_id: int | None) -> tuple[TopicCard | None, bool]:
    """One topic as a card, and whether the viewer liked it (one query)."""
    found = fetch(_topic_statement(), {"topic_id": topic_id, "viewer_id": viewer_id})
    if not found:
        return None, False
    row = found[0]
    return to_card(row), bool(row.liked)


def planet_topic_card(planet, topic_id: int, viewer_id: int | None):
    """`topic_card` for a page of `planet`, the card kept per process under the planet's
    `content_version` (the database bumps it with every write a topic page shows), so a
    page-cache hit runs no topic query. Whether the viewer liked it is personal and is never
    kept: it is None when the card came from the cache (the page asks only if it renders)."""
    fresh: dict[str, bool] = {}

    def build():
        card, fresh["liked"] = topic_card(topic_id, viewer_id)
        return card

    card = shortcache.cached("topic_card", planet.id, build, topic_id, planet.content_version)
    return card, fresh.get("liked")


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


def _comment_columns():
    return select(
        comments.c.id,
        comments.c.topic_id,
        comments.c.parent_id,
        comments.c.body_html,
        comments.c.created_at,
        comments.c.like_count,
        *person_columns(author, "author"),
        viewer_like.c.id.is_not(None).label("liked"),
    ).select_from(
        comments.join(author, author.c.id == comments.c.author_id).outerjoin(
            viewer_like,
            and_(viewer_like.c.user_id == VIEWER, viewer_like.c.comment_id == comments.c.id),
        )
    )


def _parent_among(shown, dialect: str):
    """`parent_id IN (shown)`; on PostgreSQL `= ANY(ARRAY(shown))`, an index condition on
    (topic_id, parent_id) whatever the topic's size, where an IN may hash-join every comment
    of the topic."""
    if dialect == "postgresql":
        return comments.c.parent_id == any_(func.array(shown.scalar_subquery()))
    return comments.c.parent_id.in_(shown)


@functools.cache
def _comments_statement(with_cursor: bool, dialect: str):
    """A page of top-level comments (oldest first, one more than shown: the cursor) and every
    live reply to the ones shown, in one statement: the page is a CTE that both branches
    read, and each branch is its own subquery (SQLite refuses LIMIT on a bare UNION
    member). The rows come in id order; a reply is told by its parent_id."""
    live = (
        comments.c.topic_id == bindparam("topic_id", type_=Integer),
        comments.c.deleted_at.is_(None),
    )
    top = select(comments.c.id).where(*live, comments.c.parent_id.is_(None))
    if with_cursor:
        top = top.where(comments.c.id > AFTER_ID)
    top = top.order_by(comments.c.id).limit(LIMIT).cte("top_comments")
    shown = select(top.c.id).order_by(top.c.id).limit(SHOWN)
    page = _comment_columns().where(comments.c.id.in_(select(top.c.id))).subquery()
    replies = _comment_columns().where(*live, _parent_among(shown, dialect)).subquery()
    both = union_all(select(page), select(replies)).subquery()
    return select(both).order_by(both.c.id)


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
    """Top-level comments oldest first, with all their live replies (one query)."""
    size = size or page_size()
    position = id_position(after)
    params = {"topic_id": topic.id, "viewer_id": viewer_id, "limit": size + 1, "shown": size}
    rows = fetch(_comments_statement(bool(position), db.engine.dialect.name), params | position)
    found = [row for row in rows if row.parent_id is None]
    cursor = next_cursor(found, size, id_cursor)
    found = found[:size]
    replies: dict[int, list[CommentCard]] = {row.id: [] for row in found}
    for row in rows:
        if row.parent_id is not None:
            replies[row.parent_id].append(_comment_card(row))
    return Page(
        items=[_comment_card(row) for row in found],
        next_cursor=cursor,
        liked={row.id for row in rows if row.liked and (row.parent_id or row.id) in replies},
        replies=replies,
    )
