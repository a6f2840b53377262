"""Searching a planet's published topics: title, body or answer contains the words."""

from __future__ import annotations

import functools

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, exists, or_

from planet.content.queries.paging import Page, page_size, time_cursor, time_position
from planet.content.queries.rows import (
    answers,
    cards_page,
    cards_select,
    fetch,
    in_feed,
    newest_first,
    topics,
)
from planet.errors import ServiceError
from planet.planets.models import Planet

SEARCH_MAX = 100


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean_query(q) -> str:
    if not isinstance(q, str):
        return ""
    q = " ".join(q.split())
    if len(q) > SEARCH_MAX:
        raise ServiceError(_l("Search for at most %(max)d characters.", max=SEARCH_MAX))
    return q


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
    statement = cards_select().where(*in_feed(), matches)
    return newest_first(statement, topics.c.feed_at, topics.c.id, with_cursor)


def search_page(
    planet: Planet, q: str, *, viewer_id=None, after: str | None = None, size=None
) -> Page:
    """Topics in the feed whose title, body or answer contains `q` (case-insensitive).

    Substring matching works for Chinese (no word boundaries) and English alike; on PostgreSQL
    the pg_trgm GIN indexes serve these ILIKE patterns. Only published, undeleted topics are
    searched: what every member may read.
    """
    size = size or page_size()
    position = time_position(after)
    params = {
        "planet_id": planet.id,
        "pattern": f"%{escape_like(q)}%",
        "viewer_id": viewer_id,
        "limit": size + 1,
    }
    found = fetch(_search_statement(bool(position)), params | position)
    return cards_page(found, size, time_cursor)
