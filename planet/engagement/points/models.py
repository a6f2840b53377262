"""Points: the owner's settings, every award, and the per-period totals the leaderboards
read (kept on every award, so a leaderboard is an indexed range scan)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.engagement.columns import PLANET_FK, MemberRow, enum_column
from planet.extensions import db
from planet.models import UTCDateTime, model_repr, utcnow


class PointsSettings(db.Model):
    """The owner's point values and level names (one row per planet; defaults when absent)."""

    __tablename__ = "eng_points_settings"

    planet_id: Mapped[int] = mapped_column(
        ForeignKey(PLANET_FK, ondelete="CASCADE"), primary_key=True
    )
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    levels: Mapped[list] = mapped_column(JSON, default=list)
    """[[threshold, name], ...] ascending; empty means the default levels."""


class PointsEvent(MemberRow, db.Model):
    """One award. (planet, reason, ref) is unique: awarding the same thing twice is a no-op."""

    __tablename__ = "eng_points_events"
    __table_args__ = (
        UniqueConstraint("planet_id", "reason", "ref"),
        Index("ix_eng_points_history", "planet_id", "user_id", "id"),
    )

    reason: Mapped[str] = mapped_column(String(24))
    ref: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "reason", "amount")


class PeriodKind(enum.StrEnum):
    ALL = "all"
    MONTH = "month"
    WEEK = "week"


class PointsTotal(MemberRow, db.Model):
    """A member's points in one period (week or month in the planet's time zone, or all time)."""

    __tablename__ = "eng_points_totals"
    __table_args__ = (
        UniqueConstraint("planet_id", "period_kind", "period_start", "user_id"),
        Index(
            "ix_eng_points_board", "planet_id", "period_kind", "period_start", "points", "user_id"
        ),
    )

    period_kind: Mapped[PeriodKind] = mapped_column(enum_column(PeriodKind))
    period_start: Mapped[date] = mapped_column(Date)
    """Monday of the week, first of the month, or 1970-01-01 for all time."""
    points: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "period_kind", "points")
