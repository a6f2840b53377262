"""The planet's lists of topics: the timeline and its filters, pinned topics, a hashtag's
topics, popular hashtags, and the Q&A lists (waiting for me, asked by me)."""

from __future__ import annotations

import functools

from sqlalchemy import Integer, bindparam, literal_column, select, union_all

from planet.content.models import Hashtag, PaidStatus, TopicKind
from planet.content.queries.paging import (
    Page,
    id_cursor,
    id_position,
    page_size,
    time_cursor,
    time_position,
)
from planet.content.queries.rows import (
    AFTER_ID,
    LIMIT,
    card_columns,
    card_from,
    cards_page,
    cards_select,
    fetch,
    hashtags,
    in_feed,
    newest_first,
    topic_hashtags,
    topics,
)
from planet.content.services.feed import POPULAR_HASHTAGS
from planet.extensions import db
from planet.planets.models import Planet
from planet.web import shortcache

PINNED_MAX = 5


@functools.cache
def _feed_statement(view: str, with_cursor: bool):
    """The timeline and its filters (`all`, `essence`, `questions`, `author`), newest first."""
    statement = cards_select().where(*in_feed())
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
    return newest_first(statement, topics.c.feed_at, topics.c.id, with_cursor)


PINNED, FEED = 1, 2  # a row's `section` in the timeline's first page


@functools.cache
def _first_page_statement():
    """The pinned topics (section 1, newest pin first) and the timeline's first page
    (section 2) in one statement: each branch is its own subquery, since SQLite refuses
    LIMIT on a bare member of a UNION."""
    pinned = (
        cards_select()
        .add_columns(
            literal_column(str(PINNED), Integer).label("section"),
            topics.c.pinned_at.label("sort_at"),
        )
        .where(*in_feed(), topics.c.pinned_at.is_not(None))
        .order_by(topics.c.pinned_at.desc())
        .limit(PINNED_MAX)
        .subquery()
    )
    feed = newest_first(
        cards_select()
        .add_columns(
            literal_column(str(FEED), Integer).label("section"), topics.c.feed_at.label("sort_at")
        )
        .where(*in_feed()),
        topics.c.feed_at,
        topics.c.id,
        with_cursor=False,
    ).subquery()
    both = union_all(select(pinned), select(feed)).subquery()
    return select(both).order_by(both.c.section, both.c.sort_at.desc(), both.c.id.desc())


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
    """The planet timeline (or one of its filters), newest first. With `with_pinned`, the
    first page of the whole timeline (no filter, no cursor) comes with its pinned topics,
    read in the same statement; a filter or a later page has none."""
    size = size or page_size()
    params = {"planet_id": planet.id, "viewer_id": viewer_id, "limit": size + 1}
    view = "all"
    if essence:
        view = "essence"
    elif questions:
        view = "questions"
    elif author_id is not None:
        view, params["author_id"] = "author", author_id
    position = time_position(after)
    if not (with_pinned and view == "all" and not position):
        return cards_page(fetch(_feed_statement(view, bool(position)), params | position),
                          size, time_cursor)  # fmt: skip
    rows = fetch(_first_page_statement(), params)
    pinned_rows = [row for row in rows if row.section == PINNED]
    found = [row for row in rows if row.section == FEED]
    return cards_page(found, size, time_cursor, pinned_rows)


# ---------------------------------------------------------------- hashtags


@functools.cache
def _popular_hashtags_statement():
    return (
        select(hashtags.c.name, hashtags.c.topic_count)
        .where(
            hashtags.c.planet_id == bindparam("planet_id", type_=Integer),
            hashtags.c.topic_count > 0,
        )
        .order_by(hashtags.c.topic_count.desc(), hashtags.c.id)
        .limit(LIMIT)
    )


POPULAR_LIMIT = 12


def popular_hashtags(planet: Planet) -> tuple:
    """(name, topic_count) rows of the planet's most used hashtags, kept a few seconds per
    process (planet/web/shortcache.py; a change of counts invalidates it)."""
    return shortcache.cached(
        POPULAR_HASHTAGS,
        planet.id,
        lambda: tuple(
            fetch(_popular_hashtags_statement(), {"planet_id": planet.id, "limit": POPULAR_LIMIT})
        ),
    )


def hashtag_by_name(planet: Planet, name: str) -> Hashtag | None:
    return db.session.scalar(
        select(Hashtag).where(Hashtag.planet_id == planet.id, Hashtag.name == name)
    )


@functools.cache
def _tag_statement(with_cursor: bool):
    statement = (
        select(*card_columns())
        .select_from(
            card_from(topic_hashtags.join(topics, topics.c.id == topic_hashtags.c.topic_id))
        )
        .where(topic_hashtags.c.hashtag_id == bindparam("hashtag_id", type_=Integer), *in_feed())
    )
    return newest_first(statement, topic_hashtags.c.feed_at, topic_hashtags.c.topic_id, with_cursor)


def tag_page(
    planet: Planet, hashtag: Hashtag, *, viewer_id=None, after: str | None = None, size=None
) -> Page:
    size = size or page_size()
    position = time_position(after)
    params = {
        "planet_id": planet.id,
        "hashtag_id": hashtag.id,
        "viewer_id": viewer_id,
        "limit": size + 1,
    }
    found = fetch(_tag_statement(bool(position)), params | position)
    return cards_page(found, size, time_cursor)


# ---------------------------------------------------------------- questions


@functools.cache
def _questions_statement(whose: str, with_cursor: bool):
    """Questions waiting for `person_id` to answer, or asked by them; newest first by id."""
    person = bindparam("person_id", type_=Integer)
    statement = cards_select().where(
        topics.c.planet_id == bindparam("planet_id", type_=Integer),
        topics.c.kind == TopicKind.QUESTION,
        topics.c.deleted_at.is_(None),
    )
    if whose == "waiting":  # free questions (paid ones are listed first, by deadline)
        statement = statement.where(
            topics.c.addressee_id == person,
            topics.c.answered_at.is_(None),
            topics.c.paid_status.is_(None),
        )
    elif whose == "private":  # answered paid questions with a private answer (to peek at)
        statement = statement.where(
            topics.c.paid_status == PaidStatus.ANSWERED, topics.c.answer_private.is_(True)
        )
    else:
        statement = statement.where(topics.c.author_id == person)
    if with_cursor:
        statement = statement.where(topics.c.id < AFTER_ID)
    return statement.order_by(topics.c.id.desc()).limit(LIMIT)


def _questions_page(whose: str, planet: Planet, person_id: int, viewer_id, after, size) -> Page:
    size = size or page_size()
    position = id_position(after)
    params = {
        "planet_id": planet.id,
        "person_id": person_id,
        "viewer_id": viewer_id,
        "limit": size + 1,
    }
    found = fetch(_questions_statement(whose, bool(position)), params | position)
    return cards_page(found, size, id_cursor)


def waiting_questions(planet: Planet, user_id: int, after=None, size=None) -> Page:
    """Open questions addressed to `user_id` (the viewer), newest first."""
    return _questions_page("waiting", planet, user_id, user_id, after, size)


def private_answers(planet: Planet, viewer_id, after=None, size=None) -> Page:
    """Answered paid questions whose answer is private, newest first."""
    return _questions_page("private", planet, 0, viewer_id, after, size)


PAID_WAITING_LIMIT = 100


@functools.cache
def _paid_waiting_statement():
    return (
        cards_select()
        .where(
            topics.c.planet_id == bindparam("planet_id", type_=Integer),
            topics.c.addressee_id == bindparam("person_id", type_=Integer),
            topics.c.paid_status == PaidStatus.WAITING,
            topics.c.deleted_at.is_(None),
        )
        .order_by(topics.c.due_at, topics.c.id)
        .limit(LIMIT)
    )


def paid_waiting(planet: Planet, user_id: int) -> list:
    """Paid questions waiting for `user_id`'s answer, the nearest deadline first."""
    params = {"planet_id": planet.id, "person_id": user_id, "viewer_id": user_id}
    found = fetch(_paid_waiting_statement(), params | {"limit": PAID_WAITING_LIMIT})
    return cards_page(found, PAID_WAITING_LIMIT, id_cursor).items


def my_questions(planet: Planet, user_id: int, after=None, size=None) -> Page:
    """Questions `user_id` (the viewer) asked, newest first."""
    return _questions_page("mine", planet, user_id, user_id, after, size)
