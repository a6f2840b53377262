"""Events (one-off and weekly) and RSVPs per occurrence."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.engagement.columns import USER_FK, TitledAuthored, enum_column
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class Recurrence(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"


class Event(TitledAuthored, CreatedAtMixin, db.Model):
    __tablename__ = "eng_events"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="event_duration_positive"),
        Index("ix_eng_events_planet_next", "planet_id", "next_start_at", "id"),
        Index("ix_eng_events_due", "next_start_at"),
    )

    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    recurrence: Mapped[Recurrence] = mapped_column(enum_column(Recurrence), default=Recurrence.NONE)
    local_start: Mapped[datetime] = mapped_column(UTCDateTime())
    """The first occurrence's start (UTC instant); recurring events repeat its local wall time."""
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    remind_minutes: Mapped[int] = mapped_column(Integer, default=60)
    next_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Start of the next occurrence not yet over (None once a one-off event is over)."""
    reminded_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The occurrence whose reminders were sent (the sweep's idempotency mark)."""
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "recurrence", "next_start_at")


class Rsvp(CreatedAtMixin, db.Model):
    __tablename__ = "eng_rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "occurrence_start", "user_id"),
        Index("ix_eng_rsvps_occurrence", "event_id", "occurrence_start", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("eng_events.id", ondelete="CASCADE"))
    occurrence_start: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="raise")
