"""One page of a list: its items, the next page's cursor and what the viewer liked.

Cursors are the shared codec of planet.web.cursors (a malformed one is a 400): a timeline
position is (feed_at in microseconds, id), a position in a list ordered by id is the id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from planet.web.cursors import decode_int_cursor, decode_ints, encode, from_micros, to_micros

MAX_PAGE_SIZE = 100


@dataclass
class Page:
    items: list
    next_cursor: str | None = None
    liked: set[int] = field(default_factory=set)
    """Ids of the items (and pinned topics) the viewer liked."""
    pinned: list = field(default_factory=list)
    replies: dict[int, list] = field(default_factory=dict)
    """For a page of comments: each top-level comment's replies."""


def page_size() -> int:
    return max(1, min(int(current_app.config.get("PAGE_SIZE", 20)), MAX_PAGE_SIZE))


def time_cursor(row) -> str:
    return encode(to_micros(row.feed_at), row.id)


def id_cursor(row) -> str:
    return encode(row.id)


def time_position(after: str | None) -> dict:
    """`?after=` of a timeline as the statement's parameters ({} on the first page)."""
    position = decode_ints(after, 2)
    if position is None:
        return {}
    return {"after_at": from_micros(position[0]), "after_id": position[1]}


def id_position(after: str | None) -> dict:
    """`?after=` of a list ordered by id as the statement's parameters."""
    after_id = decode_int_cursor(after)
    return {} if after_id is None else {"after_id": after_id}


def next_cursor(rows: list, size: int, cursor_of) -> str | None:
    """The cursor after a page of `size` when `rows` (fetched with one extra row) go on."""
    return cursor_of(rows[size - 1]) if len(rows) > size else None
