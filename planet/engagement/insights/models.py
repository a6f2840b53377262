"""Recorded activity (once per thing, with weekly per-member aggregates), membership changes,
the join funnel and the stored health snapshot: what the health view is computed from."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planet.engagement.columns import PLANET_FK, InPlanet, MemberRow, enum_column
from planet.extensions import db
from planet.models import UTCDateTime, model_repr, utcnow


class ActivityKind(enum.StrEnum):
    TOPIC = "topic"
    QUESTION = "question"
    ANSWER = "answer"
    COMMENT = "comment"
    CHECKIN = "checkin"
    HOMEWORK = "homework"


class ActivityEvent(MemberRow, db.Model):
    """Something a member did, recorded once (planet, kind, ref) by the job handlers."""

    __tablename__ = "eng_activity_events"
    __table_args__ = (
        UniqueConstraint("planet_id", "kind", "ref"),
        Index("ix_eng_activity_time", "planet_id", "occurred_at"),
        Index("ix_eng_activity_user", "planet_id", "user_id", "occurred_at"),
    )

    kind: Mapped[ActivityKind] = mapped_column(enum_column(ActivityKind))
    ref: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "kind")


class ActivityWeek(MemberRow, db.Model):
    """Per member and week (Monday, planet's time zone): counts by kind. Health reads this."""

    __tablename__ = "eng_activity_weeks"
    __table_args__ = (
        UniqueConstraint("planet_id", "week_start", "user_id"),
        Index("ix_eng_activity_weeks_user", "planet_id", "user_id", "week_start"),
    )

    week_start: Mapped[date] = mapped_column(Date)
    topics: Mapped[int] = mapped_column(Integer, default=0)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    other: Mapped[int] = mapped_column(Integer, default=0)
    """Check-ins and homework."""
    total: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "week_start", "total")


class MembershipChange(MemberRow, db.Model):
    """Joins, renewals and ends, recorded from membership jobs (renewal rate and churn)."""

    __tablename__ = "eng_membership_changes"
    __table_args__ = (Index("ix_eng_membership_changes", "planet_id", "occurred_at"),)

    kind: Mapped[str] = mapped_column(String(16))
    """joined, renewed, expired, left, removed, refunded, banned"""
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TopicRead(MemberRow, db.Model):
    """A member read a topic on a planet-local day (once per topic, member and day): the owner's
    weekly report ranks topics by these. Written beside the page (landing_views.py), never in
    the GET's own transaction."""

    __tablename__ = "eng_topic_reads"
    __table_args__ = (
        UniqueConstraint("topic_id", "user_id", "day"),
        Index("ix_eng_topic_reads_day", "planet_id", "day"),
    )

    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)


class FunnelStage(enum.StrEnum):
    VIEW = "view"
    CHECKOUT = "checkout"
    PAID = "paid"


class FunnelSource(enum.StrEnum):
    REFERRAL = "referral"
    DISCOVER = "discover"
    DIRECT = "direct"


class FunnelVisit(InPlanet, db.Model):
    """One visitor at one stage on one day (dedupe key for the daily counts)."""

    __tablename__ = "eng_funnel_visits"
    __table_args__ = (UniqueConstraint("planet_id", "stage", "day", "visitor_key"),)

    stage: Mapped[FunnelStage] = mapped_column(enum_column(FunnelStage))
    source: Mapped[FunnelSource] = mapped_column(enum_column(FunnelSource))
    day: Mapped[date] = mapped_column(Date)
    visitor_key: Mapped[str] = mapped_column(String(64))


class FunnelDay(InPlanet, db.Model):
    __tablename__ = "eng_funnel_days"
    __table_args__ = (UniqueConstraint("planet_id", "day", "source", "stage"),)

    day: Mapped[date] = mapped_column(Date)
    source: Mapped[FunnelSource] = mapped_column(enum_column(FunnelSource))
    stage: Mapped[FunnelStage] = mapped_column(enum_column(FunnelStage))
    count: Mapped[int] = mapped_column(Integer, default=0)


class HealthSnapshot(db.Model):
    """One planet's precomputed activity health (a JSON document), with its bookkeeping
    (planet/engagement/insights/health_snapshot.py computes and reads it)."""

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
