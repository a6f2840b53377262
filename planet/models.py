"""Shared model helpers: the clock, a `__repr__` helper and common column mixins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored instant is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A DateTime that always comes back timezone-aware (UTC), on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime stored; use planet.models.utcnow()")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def result_processor(self, dialect, coltype):
        # PostgreSQL sessions are in UTC (planet/dbutil.py `_sessions_in_utc`): psycopg already
        # gives aware datetimes in UTC, and a page's rows skip a call per timestamp.
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def model_repr(obj, *fields: str) -> str:
    """One `__repr__` for every model: `<Topic id=3 planet_id=1>`."""
    values = " ".join(f"{name}={getattr(obj, name, None)!r}" for name in ("id", *fields))
    return f"<{type(obj).__name__} {values}>"


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


def migration_filter(dialect_name: str):
    """An Alembic `include_object` hook: skip schema items that `ddl_if` limits to another
    dialect (the PostgreSQL-only trigram indexes are not part of the SQLite schema)."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ != "index" or ddl_if is None or ddl_if.dialect is None:
            return True
        return ddl_if.dialect == dialect_name

    return include_object
