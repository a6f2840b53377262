"""Columns: the write operations. Each asks the policy, checks that every object belongs to
the planet, flushes and never commits (the request or the CLI commits once)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from planet import policy
from planet.content.columns.models import (
    COLUMN_DESCRIPTION_MAX,
    COLUMN_TITLE_MAX,
    Column,
    ColumnEntry,
    ColumnRead,
)
from planet.content.models import Topic
from planet.dbutil import dialect_insert
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.policy import Action

MAX_COLUMNS = 50
MAX_ENTRIES = 300


def _clean(value: str | None, limit: int, *, required: bool, too_long, missing=None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceError(missing, field="title")
    if len(value) > limit:
        raise ServiceError(too_long)
    return value


def _fields(title: str, description: str) -> dict:
    return {
        "title": _clean(
            title,
            COLUMN_TITLE_MAX,
            required=True,
            missing=_l("A column needs a title."),
            too_long=_l("The title may have at most %(n)d characters.", n=COLUMN_TITLE_MAX),
        ),
        "description": _clean(
            description,
            COLUMN_DESCRIPTION_MAX,
            required=False,
            too_long=_l(
                "The description may have at most %(n)d characters.", n=COLUMN_DESCRIPTION_MAX
            ),
        ),  # fmt: skip
    }


def check_column(planet: Planet, column: Column | None) -> Column:
    if column is None or column.planet_id != planet.id:
        raise NotFound(_l("We could not find that column."))
    return column


def create_column(planet: Planet, user, *, title: str, description: str = "") -> Column:
    policy.require(user, Action.MANAGE_COLUMNS, planet)
    fields = _fields(title, description)
    count = db.session.scalar(
        select(func.count()).select_from(Column).where(Column.planet_id == planet.id)
    )
    if count >= MAX_COLUMNS:
        raise Conflict(_l("A planet may have at most %(n)d columns.", n=MAX_COLUMNS))
    column = Column(planet_id=planet.id, author_id=user.id, position=count, **fields)
    db.session.add(column)
    db.session.flush()
    return column


def edit_column(planet: Planet, user, column: Column, *, title: str, description: str = ""):
    check_column(planet, column)
    policy.require(user, Action.MANAGE_COLUMNS, planet)
    for name, value in _fields(title, description).items():
        setattr(column, name, value)
    column.updated_at = utcnow()
    db.session.flush()
    return column


def delete_column(planet: Planet, user, column: Column) -> None:
    """Delete the column (its topics stay in the timeline; entries and reads go with it)."""
    check_column(planet, column)
    policy.require(user, Action.MANAGE_COLUMNS, planet)
    db.session.execute(delete(ColumnRead).where(ColumnRead.column_id == column.id))
    db.session.execute(delete(ColumnEntry).where(ColumnEntry.column_id == column.id))
    db.session.delete(column)
    db.session.flush()


def _entries(column: Column, *, lock: bool = False) -> list[ColumnEntry]:
    statement = (
        select(ColumnEntry)
        .where(ColumnEntry.column_id == column.id)
        .order_by(ColumnEntry.position, ColumnEntry.topic_id)
    )
    if lock:
        statement = statement.with_for_update()
    return list(db.session.scalars(statement))


def _lock_column(column: Column) -> None:
    """Serialise writes to one column's order (PostgreSQL row lock; SQLite writes serially)."""
    db.session.execute(select(Column.id).where(Column.id == column.id).with_for_update()).first()


def _topic_in_planet(planet: Planet, topic_id) -> Topic:
    topic = db.session.get(Topic, topic_id) if isinstance(topic_id, int) else None
    if topic is None or topic.planet_id != planet.id:
        raise NotFound(_l("We could not find that topic."))
    if topic.deleted_at is not None or not topic.in_feed:
        raise Conflict(_l("Only published topics can be added to a column."))
    return topic


def add_topic(planet: Planet, user, column: Column, topic_id: int) -> ColumnEntry:
    """Append a published topic of this planet to the column (at the end)."""
    check_column(planet, column)
    policy.require(user, Action.MANAGE_COLUMNS, planet)
    topic = _topic_in_planet(planet, topic_id)
    _lock_column(column)
    existing = db.session.scalar(select(ColumnEntry).where(ColumnEntry.topic_id == topic.id))
    if existing is not None:
        if existing.column_id == column.id:
            raise Conflict(_l("This topic is already in this column."))
        other = db.session.get(Column, existing.column_id)
        raise Conflict(_l("This topic is already in the column “%(title)s”.", title=other.title))
    entries = _entries(column)
    if len(entries) >= MAX_ENTRIES:
        raise Conflict(_l("A column may hold at most %(n)d topics.", n=MAX_ENTRIES))
    position = entries[-1].position + 1 if entries else 0
    entry = ColumnEntry(column_id=column.id, topic_id=topic.id, position=position)
    db.session.add(entry)
    column.entry_count = len(entries) + 1
    column.updated_at = utcnow()
    db.session.flush()  # the unique topic key refuses a concurrent second add
    return entry


def _entry(column: Column, topic_id) -> ColumnEntry:
    entry = None
    if isinstance(topic_id, int):
        entry = db.session.scalar(
            select(ColumnEntry).where(
                ColumnEntry.column_id == column.id, ColumnEntry.topic_id == topic_id
            )
        )
    if entry is None:
        raise NotFound(_l("That topic is not in this column."))
    return entry


def remove_topic(planet: Planet, user, column: Column, topic_id: int) -> None:
    check_column(planet, column)
    policy.require(user, Action.MANAGE_COLUMNS, planet)
    _lock_column(column)
    entry = _entry(column, topic_id)
    db.session.execute(
        delete(ColumnRead).where(
            ColumnRead.column_id == column.id, ColumnRead.topic_id == entry.topic_id
        )
    )
    db.session.delete(entry)
    column.entry_count = max(column.entry_count - 1, 0)
    column.updated_at = utcnow()
    db.session.flush()


def reorder(planet: Planet, user, column: Column, topic_ids: list[int]) -> None:
    """Put the column's topics in the order `topic_ids`, which must name each of them once."""
    check_column(planet, column)
    policy.require(user, Action.MANAGE_COLUMNS, planet)
    _lock_column(column)
    entries = {entry.topic_id: entry for entry in _entries(column)}
    if len(topic_ids) != len(set(topic_ids)) or set(topic_ids) != set(entries):
        raise ServiceError(
            _l("The new order must list every topic of the column exactly once."), status=400
        )
    for position, topic_id in enumerate(topic_ids):
        entries[topic_id].position = position
    column.updated_at = utcnow()
    db.session.flush()


def move_topic(planet: Planet, user, column: Column, topic_id: int, to_position: int) -> None:
    """Move one topic to `to_position` (1 = first); the others keep their order."""
    check_column(planet, column)
    policy.require(user, Action.MANAGE_COLUMNS, planet)
    order = [entry.topic_id for entry in _entries(column)]
    if not isinstance(topic_id, int) or topic_id not in order:
        raise NotFound(_l("That topic is not in this column."))
    if not isinstance(to_position, int) or not 1 <= to_position <= len(order):
        raise ServiceError(
            _l("Choose a place between 1 and %(n)d.", n=len(order)), field="position"
        )
    order.remove(topic_id)
    order.insert(to_position - 1, topic_id)
    reorder(planet, user, column, order)


def mark_read(planet: Planet, user, column: Column, topic: Topic) -> None:
    """Note that `user` read `topic` of `column` now (again: the time moves on)."""
    check_column(planet, column)
    policy.require(user, Action.VIEW_COLUMN, planet)
    policy.require(user, Action.READ_TOPIC, planet, topic)
    _entry(column, topic.id)
    now = utcnow()
    statement = dialect_insert(ColumnRead).values(
        user_id=user.id, column_id=column.id, topic_id=topic.id, read_at=now
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "topic_id"],
            set_={"column_id": column.id, "read_at": now},
        )
    )
    db.session.flush()
