"""Notifications, preferences, digest subscriptions and the email outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class Kind(enum.StrEnum):
    QUESTION_ANSWERED = "question_answered"
    QUESTION_ASKED = "question_asked"
    COMMENT_REPLY = "comment_reply"
    TOPIC_COMMENT = "topic_comment"
    MENTION = "mention"
    MEMBER_JOINED = "member_joined"
    REPORT_FILED = "report_filed"
    ANNOUNCEMENT = "announcement"
    PAYMENT_RECEIVED = "payment_received"
    REFUND_DONE = "refund_done"
    RENEWAL_FAILED = "renewal_failed"
    RENEWAL_REMINDER = "renewal_reminder"
    MEMBERSHIP_EXPIRED = "membership_expired"
    MEMBERSHIP_RENEWED = "membership_renewed"
    CHECKIN_REMINDER = "checkin_reminder"
    EVENT_REMINDER = "event_reminder"
    INTRODUCTION_REMINDER = "introduction_reminder"
    ASSIGNMENT_POSTED = "assignment_posted"
    HOMEWORK_GRADED = "homework_graded"
    MESSAGE_RECEIVED = "message_received"
    PAYMENT_DISPUTED = "payment_disputed"
    CAMPAIGN = "campaign"
    POST_REJECTED = "post_rejected"
    JOIN_APPROVED = "join_approved"
    JOIN_REFUSED = "join_refused"


# Email on unless the member switched it off; member joins are batched in-app only by default.
EMAIL_DEFAULTS: dict[Kind, bool] = {kind: True for kind in Kind}
EMAIL_DEFAULTS[Kind.MEMBER_JOINED] = False
EMAIL_DEFAULTS[Kind.TOPIC_COMMENT] = False


class Notification(CreatedAtMixin, db.Model):
    """One line in a person's notification list. `dedupe_key` makes a re-run job add nothing."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_list", "user_id", "id"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(Enum(Kind, native_enum=False, length=24))
    planet_id: Mapped[int | None] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer, default=1)
    """How many events this line stands for (new members are batched into one line)."""
    data: Mapped[str] = mapped_column(Text, default="{}")
    """JSON of display values (names, amounts); never paid content."""
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "kind", "read_at")


class NotificationPreference(db.Model):
    """A member's email choice for one kind of notification (no row: the default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(Enum(Kind, native_enum=False, length=24))
    email: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "kind", "email")


class DigestFrequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


class DigestSubscription(db.Model):
    """A member's digest choice for one planet (no row: weekly, the default)."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "planet_id"),
        Index("ix_digest_subscriptions_frequency", "frequency", "planet_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    frequency: Mapped[DigestFrequency] = mapped_column(
        Enum(DigestFrequency, native_enum=False, length=8), default=DigestFrequency.WEEKLY
    )

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "planet_id", "frequency")


class Outbox(CreatedAtMixin, db.Model):
    """Every email, keyed by recipient and purpose: the same purpose is never sent twice.

    A sender inserts the row (the unique key decides who sends), commits, sends over SMTP and
    stamps `sent_at`. A row left unsent by a crash is picked up by the relay after
    `next_attempt_at`.
    """

    __tablename__ = "email_outbox"
    __table_args__ = (
        UniqueConstraint("recipient", "purpose"),
        Index("ix_email_outbox_due", "sent_at", "next_attempt_at"),
        # A digest batch looks up its members' rows by purpose (one query per batch).
        Index("ix_email_outbox_purpose", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(120))
    """e.g. `digest:<membership>:weekly:2026W07`, `notification:<id>`, `reminder:<m>:7d:<end>`."""
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[str] = mapped_column(Text, default="{}")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")

    def __repr__(self) -> str:
        return model_repr(self, "recipient", "purpose", "sent_at")
