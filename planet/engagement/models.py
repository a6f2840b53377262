"""Community life: introductions, check-in challenges, homework, points, events, polls,
lotteries, and the recorded activity the health view is computed from.

Aggregates (challenge progress, points totals per period, weekly activity per member, funnel
counts per day) are kept by the services on every write, so leaderboards and the health view are
indexed range scans, never a SUM over a year of events.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
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
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr, utcnow

PLANET_FK = "planets.id"
USER_FK = "users.id"


def _enum(kind):
    return Enum(kind, native_enum=False, length=24)


# ---------------------------------------------------------------- introductions


class IntroductionTemplate(db.Model):
    """The owner's guidance for each section of the self-introduction (one row per planet)."""

    __tablename__ = "eng_intro_templates"

    planet_id: Mapped[int] = mapped_column(
        ForeignKey(PLANET_FK, ondelete="CASCADE"), primary_key=True
    )
    prompts: Mapped[dict] = mapped_column(JSON, default=dict)
    """{section: guidance text}; a missing section uses the default prompt."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id")


class Introduction(CreatedAtMixin, db.Model):
    __tablename__ = "eng_introductions"
    __table_args__ = (
        UniqueConstraint("planet_id", "user_id"),
        Index("ix_eng_intro_list", "planet_id", "id"),
        Index("ix_eng_intro_city", "planet_id", "city_key", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    who: Mapped[str] = mapped_column(Text, default="")
    work: Mapped[str] = mapped_column(Text, default="")
    offer: Mapped[str] = mapped_column(Text, default="")
    seeking: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(60), default="")
    city_key: Mapped[str] = mapped_column(String(60), default="")
    """Lower-cased city for exact filtering."""
    tags: Mapped[list] = mapped_column(JSON, default=list)
    """Skills and tags as entered (normalised copies live in IntroductionTag)."""
    contact: Mapped[str] = mapped_column(String(200), default="")
    """Shown only to active members, and only while the roster is visible."""
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Lower-cased concatenation of the public fields, for text search."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id")


class IntroductionTag(db.Model):
    __tablename__ = "eng_intro_tags"
    __table_args__ = (
        UniqueConstraint("introduction_id", "tag"),
        Index("ix_eng_intro_tags_lookup", "planet_id", "tag", "introduction_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("eng_introductions.id", ondelete="CASCADE")
    )
    tag: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return model_repr(self, "introduction_id", "tag")


class IntroductionReminder(db.Model):
    """One reminder per (planet, member, local day): reminding twice a day sends once."""

    __tablename__ = "eng_intro_reminders"
    __table_args__ = (UniqueConstraint("planet_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---------------------------------------------------------------- check-ins


class Challenge(CreatedAtMixin, db.Model):
    __tablename__ = "eng_challenges"
    __table_args__ = (
        CheckConstraint("length_days > 0", name="challenge_length_positive"),
        Index("ix_eng_challenges_planet", "planet_id", "start_date", "id"),
        Index("ix_eng_challenges_running", "end_date", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey(USER_FK))
    title: Mapped[str] = mapped_column(String(120))
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


# ---------------------------------------------------------------- homework


class Assignment(CreatedAtMixin, db.Model):
    __tablename__ = "eng_assignments"
    __table_args__ = (
        Index("ix_eng_assignments_planet", "planet_id", "id"),
        CheckConstraint("closes_at >= due_at", name="assignment_closes_after_due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey(USER_FK))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """Hand-ins between due_at and closes_at are accepted and marked late; after it, refused."""
    submission_count: Mapped[int] = mapped_column(Integer, default=0)

    author: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "due_at")


class Submission(CreatedAtMixin, db.Model):
    __tablename__ = "eng_submissions"
    __table_args__ = (
        UniqueConstraint("assignment_id", "user_id"),
        Index("ix_eng_submissions_list", "assignment_id", "id"),
        Index("ix_eng_submissions_featured", "assignment_id", "is_featured", "id"),
        Index("ix_eng_submissions_user", "planet_id", "user_id", "id"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("eng_assignments.id", ondelete="CASCADE"))
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int | None] = mapped_column(Integer)
    grade_comment: Mapped[str] = mapped_column(Text, default="")
    graded_by: Mapped[int | None] = mapped_column(ForeignKey(USER_FK))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "assignment_id", "user_id", "score")


# ---------------------------------------------------------------- points


class PointsSettings(db.Model):
    """The owner's point values and level names (one row per planet; defaults when absent)."""

    __tablename__ = "eng_points_settings"

    planet_id: Mapped[int] = mapped_column(
        ForeignKey(PLANET_FK, ondelete="CASCADE"), primary_key=True
    )
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    levels: Mapped[list] = mapped_column(JSON, default=list)
    """[[threshold, name], ...] ascending; empty means the default levels."""


class PointsEvent(db.Model):
    """One award. (planet, reason, ref) is unique: awarding the same thing twice is a no-op."""

    __tablename__ = "eng_points_events"
    __table_args__ = (
        UniqueConstraint("planet_id", "reason", "ref"),
        Index("ix_eng_points_history", "planet_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
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


class PointsTotal(db.Model):
    """A member's points in one period (week or month in the planet's time zone, or all time)."""

    __tablename__ = "eng_points_totals"
    __table_args__ = (
        UniqueConstraint("planet_id", "period_kind", "period_start", "user_id"),
        Index(
            "ix_eng_points_board", "planet_id", "period_kind", "period_start", "points", "user_id"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    period_kind: Mapped[PeriodKind] = mapped_column(_enum(PeriodKind))
    period_start: Mapped[date] = mapped_column(Date)
    """Monday of the week, first of the month, or 1970-01-01 for all time."""
    points: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "period_kind", "points")


# ---------------------------------------------------------------- recorded activity


class ActivityKind(enum.StrEnum):
    TOPIC = "topic"
    QUESTION = "question"
    ANSWER = "answer"
    COMMENT = "comment"
    CHECKIN = "checkin"
    HOMEWORK = "homework"


class ActivityEvent(db.Model):
    """Something a member did, recorded once (planet, kind, ref) by the job handlers."""

    __tablename__ = "eng_activity_events"
    __table_args__ = (
        UniqueConstraint("planet_id", "kind", "ref"),
        Index("ix_eng_activity_time", "planet_id", "occurred_at"),
        Index("ix_eng_activity_user", "planet_id", "user_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    kind: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind))
    ref: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "kind")


class ActivityWeek(db.Model):
    """Per member and week (Monday, planet's time zone): counts by kind. Health reads this."""

    __tablename__ = "eng_activity_weeks"
    __table_args__ = (
        UniqueConstraint("planet_id", "week_start", "user_id"),
        Index("ix_eng_activity_weeks_user", "planet_id", "user_id", "week_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)
    topics: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    other: Mapped[int] = mapped_column(Integer, default=0)
    """Check-ins and homework."""
    total: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "week_start", "total")


class MembershipChange(db.Model):
    """Joins, renewals and ends, recorded from membership jobs (renewal rate and churn)."""

    __tablename__ = "eng_membership_changes"
    __table_args__ = (Index("ix_eng_membership_changes", "planet_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    """joined, renewed, expired, left, removed, refunded, banned"""
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FunnelStage(enum.StrEnum):
    VIEW = "view"
    CHECKOUT = "checkout"
    PAID = "paid"


class FunnelSource(enum.StrEnum):
    REFERRAL = "referral"
    DISCOVER = "discover"
    DIRECT = "direct"


class FunnelVisit(db.Model):
    """One visitor at one stage on one day (dedupe key for the daily counts)."""

    __tablename__ = "eng_funnel_visits"
    __table_args__ = (UniqueConstraint("planet_id", "stage", "day", "visitor_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    stage: Mapped[FunnelStage] = mapped_column(_enum(FunnelStage))
    source: Mapped[FunnelSource] = mapped_column(_enum(FunnelSource))
    day: Mapped[date] = mapped_column(Date)
    visitor_key: Mapped[str] = mapped_column(String(64))


class FunnelDay(db.Model):
    __tablename__ = "eng_funnel_days"
    __table_args__ = (UniqueConstraint("planet_id", "day", "source", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[FunnelSource] = mapped_column(_enum(FunnelSource))
    stage: Mapped[FunnelStage] = mapped_column(_enum(FunnelStage))
    count: Mapped[int] = mapped_column(Integer, default=0)


class HealthSnapshot(db.Model):
    """One planet's precomputed activity health (a JSON document), with its bookkeeping
    (planet/engagement/health_snapshot.py computes and reads it)."""

    __tablename__ = "eng_health_snapshots"
    __table_args__ = (Index("ix_eng_health_snapshots_due", "due_at"),)

    planet_id: Mapped[int] = mapped_column(
        ForeignKey(PLANET_FK, ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the periodic job looks at this planet next."""
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The instant the figures are for; None until first computed."""
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The owner's last request for a recomputation (the cooldown's anchor)."""
    week_start: Mapped[date | None] = mapped_column(Date)
    """The planet-local week the figures end in: a new week moves every window."""
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    """planet.member_count when computed (it sizes the top decile)."""
    activity_mark: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The latest recorded activity when computed: newer activity makes the snapshot stale."""
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[str] = mapped_column(Text, default="")
    """JSON: weekly, members, share, cooling (user ids, not names)."""

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "computed_at", "due_at")


# ---------------------------------------------------------------- events


class Recurrence(enum.StrEnum):
    NONE = "none"
    WEEKLY = "weekly"


class Event(CreatedAtMixin, db.Model):
    __tablename__ = "eng_events"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="event_duration_positive"),
        Index("ix_eng_events_planet_next", "planet_id", "next_start_at", "id"),
        Index("ix_eng_events_due", "next_start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey(USER_FK))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    recurrence: Mapped[Recurrence] = mapped_column(_enum(Recurrence), default=Recurrence.NONE)
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


# ---------------------------------------------------------------- polls and lotteries


class ResultsVisibility(enum.StrEnum):
    AFTER_VOTE = "after_vote"
    AFTER_CLOSE = "after_close"


class Poll(CreatedAtMixin, db.Model):
    __tablename__ = "eng_polls"
    __table_args__ = (Index("ix_eng_polls_planet", "planet_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey(USER_FK))
    question: Mapped[str] = mapped_column(String(200))
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    results: Mapped[ResultsVisibility] = mapped_column(
        _enum(ResultsVisibility), default=ResultsVisibility.AFTER_VOTE
    )
    voter_count: Mapped[int] = mapped_column(Integer, default=0)

    options: Mapped[list[PollOption]] = relationship(
        lazy="selectin", order_by="PollOption.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "closes_at")


class PollOption(db.Model):
    __tablename__ = "eng_poll_options"
    __table_args__ = (Index("ix_eng_poll_options_poll", "poll_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("eng_polls.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)


class PollBallot(CreatedAtMixin, db.Model):
    """One per voter and poll: the unique key is what makes a second vote a conflict."""

    __tablename__ = "eng_poll_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("eng_polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    option_ids: Mapped[list] = mapped_column(JSON, default=list)


class LotteryEligibility(enum.StrEnum):
    CHECKED_IN_THIS_WEEK = "checked_in_week"
    ACTIVE_THIS_WEEK = "active_week"
    ALL_MEMBERS = "all_members"


class Lottery(CreatedAtMixin, db.Model):
    __tablename__ = "eng_lotteries"
    __table_args__ = (
        Index("ix_eng_lotteries_planet", "planet_id", "id"),
        CheckConstraint("winner_count > 0", name="lottery_winners_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey(USER_FK))
    title: Mapped[str] = mapped_column(String(120))
    prize: Mapped[str] = mapped_column(String(200), default="")
    eligibility: Mapped[LotteryEligibility] = mapped_column(_enum(LotteryEligibility))
    winner_count: Mapped[int] = mapped_column(Integer, default=1)
    seed_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the seed, shown from creation (the commitment)."""
    seed: Mapped[str] = mapped_column(String(64))
    """Secret until the draw, shown after it."""
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    entrants: Mapped[list | None] = mapped_column(JSON)
    """Sorted user ids that were eligible at the draw (published with the seed)."""
    winners: Mapped[list | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "drawn_at")
