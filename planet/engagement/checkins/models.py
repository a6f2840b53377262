"""Check-in challenges, the check-ins, per-member progress (streaks) and reminder keys."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.engagement.columns import PLANET_FK, USER_FK, TitledAuthored
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr, utcnow


class Challenge(TitledAuthored, CreatedAtMixin, db.Model):
    __tablename__ = "eng_challenges"
    __table_args__ = (
        CheckConstraint("length_days > 0", name="challenge_length_positive"),
        Index("ix_eng_challenges_planet", "planet_id", "start_date", "id"),
        Index("ix_eng_challenges_running", "end_date", "start_date"),
    )

    rules: Mapped[str] = mapped_column(Text, default="")
    rules_html: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date] = mapped_column(Date)
    """First day, in the planet's time zone."""
    length_days: Mapped[int] = mapped_column(Integer)
    end_date: Mapped[date] = mapped_column(Date)
    """Last day (start_date + length_days - 1), kept for the indexed sweep."""
    window_start: Mapped[time] = mapped_column(Time, default=time(0, 0))
    window_end: Mapped[time] = mapped_column(Time, default=time(23, 59, 59))
    """Local time of day; check-ins after it are late."""
    late_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    """Whether a check-in after the daily window (same day) is accepted and counts."""
    participant_count: Mapped[int] = mapped_column(Integer, default=0)
    checkin_count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "start_date", "length_days")


class CheckIn(CreatedAtMixin, db.Model):
    __tablename__ = "eng_checkins"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id", "day"),
        Index("ix_eng_checkins_day", "challenge_id", "day", "id"),
        Index("ix_eng_checkins_user", "challenge_id", "user_id", "day"),
        Index("ix_eng_checkins_planet_day", "planet_id", "day", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("eng_challenges.id", ondelete="CASCADE"))
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    """The local day in the planet's time zone."""
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    image_key: Mapped[str | None] = mapped_column(String(64))
    """Key of an uploaded image (served by engagement.checkin_image, access-checked)."""
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "challenge_id", "user_id", "day")


class ChallengeProgress(db.Model):
    """Per member and challenge: cumulative days and streaks (the leaderboards read this)."""

    __tablename__ = "eng_challenge_progress"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id"),
        Index("ix_eng_progress_total", "challenge_id", "total_days", "user_id"),
        Index("ix_eng_progress_streak", "challenge_id", "current_streak", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("eng_challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    total_days: Mapped[int] = mapped_column(Integer, default=0)
    current_streak: Mapped[int] = mapped_column(Integer, default=0)
    best_streak: Mapped[int] = mapped_column(Integer, default=0)
    last_day: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "challenge_id", "user_id", "total_days")


class CheckInReminder(db.Model):
    """Idempotency key of the 'you have not checked in today' reminder."""

    __tablename__ = "eng_checkin_reminders"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("eng_challenges.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
