"""A column, its ordered entries and the reads that make a member's progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr

COLUMN_TITLE_MAX = 80
COLUMN_DESCRIPTION_MAX = 500


class Column(CreatedAtMixin, db.Model):
    """An ordered series of the planet's topics (专栏)."""

    __tablename__ = "content_columns"
    __table_args__ = (Index("ix_content_columns_planet", "planet_id", "position", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(COLUMN_TITLE_MAX))
    description: Mapped[str] = mapped_column(String(COLUMN_DESCRIPTION_MAX), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    """The column's place among the planet's columns (newest last)."""
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "title")


class ColumnEntry(CreatedAtMixin, db.Model):
    """A topic's place in a column. A topic belongs to at most one column (its page shows
    "column: X (3/12)" and the next and previous topics)."""

    __tablename__ = "content_column_entries"
    __table_args__ = (
        UniqueConstraint("topic_id", name="uq_content_column_entries_topic"),
        Index("ix_content_column_entries_order", "column_id", "position", "topic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("content_columns.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return model_repr(self, "column_id", "topic_id", "position")


class ColumnRead(db.Model):
    """A member read a topic of a column: the set is "what I read", the latest "where I
    stopped"."""

    __tablename__ = "content_column_reads"
    __table_args__ = (
        UniqueConstraint("user_id", "topic_id", name="uq_content_column_reads_user_topic"),
        Index("ix_content_column_reads_progress", "user_id", "column_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    column_id: Mapped[int] = mapped_column(ForeignKey("content_columns.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "column_id", "topic_id")
