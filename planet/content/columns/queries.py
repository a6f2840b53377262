"""Reading columns: a planet's columns, a column's contents with the viewer's progress, a
topic's place in its column, and the contents lists the landing page shows visitors.

Only published, undeleted topics count (a topic deleted after it was added drops out of every
list and every "3/12"). Each function runs a fixed number of queries, whatever the sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from planet.content.columns.models import Column, ColumnEntry, ColumnRead
from planet.content.models import Topic
from planet.extensions import db
from planet.planets.models import Planet
from planet.text import plain_excerpt

LANDING_COLUMNS = 6
LANDING_ENTRIES = 20
EXCERPT_SOURCE = 400


@dataclass(frozen=True, slots=True)
class Entry:
    topic_id: int
    number: int
    """1-based place among the column's published topics."""
    title: str
    """The topic's title ("" when it has none)."""
    excerpt: str = ""
    read_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Contents:
    entries: list[Entry]
    read_count: int
    stopped_at: Entry | None
    """The topic the viewer read last."""
    resume: Entry | None
    """Where to go on: the first unread topic after the one read last (else the first unread)."""


@dataclass(frozen=True, slots=True)
class Place:
    """A topic's place in its column."""

    column: Column
    number: int
    total: int
    previous: Entry | None
    next: Entry | None


def _visible():
    return and_(
        Topic.id == ColumnEntry.topic_id, Topic.in_feed.is_(True), Topic.deleted_at.is_(None)
    )


def planet_columns(planet: Planet) -> list[tuple[Column, int]]:
    """The planet's columns in order, each with its number of published topics (2 queries)."""
    columns = list(
        db.session.scalars(
            select(Column).where(Column.planet_id == planet.id).order_by(Column.position, Column.id)
        )
    )
    if not columns:
        return []
    counts = dict(
        db.session.execute(
            select(ColumnEntry.column_id, func.count())
            .join(Topic, _visible())
            .where(ColumnEntry.column_id.in_([c.id for c in columns]))
            .group_by(ColumnEntry.column_id)
        ).all()
    )
    return [(column, counts.get(column.id, 0)) for column in columns]


def contents(column: Column, viewer_id: int | None) -> Contents:
    """The column's published topics in order, with what the viewer read (one query)."""
    rows = db.session.execute(
        select(
            ColumnEntry.topic_id,
            Topic.title,
            func.substr(Topic.body, 1, EXCERPT_SOURCE).label("body"),
            ColumnRead.read_at,
        )
        .join(Topic, _visible())
        .outerjoin(
            ColumnRead,
            and_(
                ColumnRead.topic_id == ColumnEntry.topic_id,
                ColumnRead.user_id == viewer_id,
                ColumnRead.column_id == column.id,
            ),
        )  # fmt: skip
        .where(ColumnEntry.column_id == column.id)
        .order_by(ColumnEntry.position, ColumnEntry.topic_id)
    ).all()
    entries = [
        Entry(row.topic_id, number, row.title, plain_excerpt(row.body, 120), row.read_at)
        for number, row in enumerate(rows, start=1)
    ]
    read = [entry for entry in entries if entry.read_at is not None]
    stopped = max(read, key=lambda entry: entry.read_at, default=None)
    unread = [entry for entry in entries if entry.read_at is None]
    resume = None
    if stopped is not None:
        resume = next((e for e in unread if e.number > stopped.number), None)
    if resume is None and unread:
        resume = unread[0]
    return Contents(entries, len(read), stopped, resume)


def place_of(topic_id: int) -> Place | None:
    """The column a topic is in, its number there, and its neighbours (two queries); None when
    the topic is in no column."""
    found = db.session.execute(
        select(Column)
        .join(ColumnEntry, ColumnEntry.column_id == Column.id)
        .where(ColumnEntry.topic_id == topic_id)
    ).scalar()
    if found is None:
        return None
    order = db.session.execute(
        select(ColumnEntry.topic_id, Topic.title)
        .join(Topic, _visible())
        .where(ColumnEntry.column_id == found.id)
        .order_by(ColumnEntry.position, ColumnEntry.topic_id)
    ).all()
    ids = [row.topic_id for row in order]
    if topic_id not in ids:
        return None
    index = ids.index(topic_id)

    def entry(i: int) -> Entry | None:
        if 0 <= i < len(order):
            return Entry(order[i].topic_id, i + 1, order[i].title)
        return None

    return Place(found, index + 1, len(order), entry(index - 1), entry(index + 1))


def landing_columns(planet: Planet) -> list[tuple[Column, int, list[Entry]]]:
    """For visitors: the first columns, each with its number of topics and the titles of its
    first topics (titles only, never text). Two queries."""
    columns = list(
        db.session.scalars(
            select(Column)
            .where(Column.planet_id == planet.id)
            .order_by(Column.position, Column.id)
            .limit(LANDING_COLUMNS)
        )
    )
    if not columns:
        return []
    ranked = (
        select(
            ColumnEntry.column_id,
            Topic.title,
            func.row_number()
            .over(
                partition_by=ColumnEntry.column_id,
                order_by=(ColumnEntry.position, ColumnEntry.topic_id),
            )
            .label("number"),
            func.count().over(partition_by=ColumnEntry.column_id).label("total"),
        )
        .join(Topic, _visible())
        .where(ColumnEntry.column_id.in_([c.id for c in columns]))
        .subquery()
    )
    rows = db.session.execute(
        select(ranked)
        .where(ranked.c.number <= LANDING_ENTRIES)
        .order_by(ranked.c.column_id, ranked.c.number)
    ).all()
    entries: dict[int, list[Entry]] = {}
    totals: dict[int, int] = {}
    for row in rows:
        entries.setdefault(row.column_id, []).append(Entry(0, row.number, row.title))
        totals[row.column_id] = row.total
    return [(c, totals.get(c.id, 0), entries.get(c.id, [])) for c in columns]


def columns_for_topic_menu(planet: Planet) -> list[tuple[int, str]]:
    """(id, title) of the planet's columns, for a moderator's "Add to column" menu."""
    return list(
        db.session.execute(
            select(Column.id, Column.title)
            .where(Column.planet_id == planet.id)
            .order_by(Column.position, Column.id)
        ).tuples()
    )
