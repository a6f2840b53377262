"""Content: topics (posts and questions), answers, comments, likes, hashtags, reports, files."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr, utcnow


def _trigram_index(name: str, column: str) -> Index:
    """A pg_trgm GIN index, created on PostgreSQL only (SQLite searches by scanning)."""
    return Index(
        name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}
    ).ddl_if(dialect="postgresql")


class TopicKind(enum.StrEnum):
    POST = "post"
    QUESTION = "question"


class PaidStatus(enum.StrEnum):
    """Where a paid question (付费提问) stands; None on every other topic."""

    UNPAID = "unpaid"
    """Asked, not paid yet: only the asker sees it."""
    WAITING = "waiting"
    """Paid (a verified payment): waiting for the answer until `due_at`."""
    ANSWERED = "answered"
    """Answered in time: the money is split and settles after the refund window."""
    EXPIRED = "expired"
    """Not answered by `due_at`: refunded in full and closed."""
    DECLINED = "declined"
    """Declined by the one asked: refunded in full and closed."""


CLOSED_PAID = (PaidStatus.EXPIRED, PaidStatus.DECLINED)


class Audience(enum.StrEnum):
    """Who may ask a paid question of one person."""

    MEMBERS = "members"
    VISITORS = "visitors"
    BOTH = "both"


class Topic(CreatedAtMixin, db.Model):
    """A post, or a member's question to the owner or a guest.

    A question enters the feed only once answered: `in_feed` and `feed_at` are kept by the
    services so the timeline is one indexed range scan.
    """

    __tablename__ = "topics"
    __table_args__ = (
        Index("ix_topics_feed", "planet_id", "in_feed", "feed_at", "id"),
        Index("ix_topics_essence", "planet_id", "is_essence", "in_feed", "feed_at", "id"),
        Index("ix_topics_author", "planet_id", "author_id", "in_feed", "feed_at", "id"),
        Index("ix_topics_addressee", "planet_id", "addressee_id", "answered_at"),
        Index("ix_topics_pinned", "planet_id", "pinned_at"),
        Index("ix_topics_kind", "planet_id", "kind", "in_feed", "feed_at", "id"),
        Index("ix_topics_asker", "planet_id", "author_id", "kind", "id"),
        # The paid-question deadline sweep: WAITING rows in deadline order.
        Index("ix_topics_paid_due", "paid_status", "due_at"),
        # Search (PostgreSQL): trigram indexes serve ILIKE '%...%' for any language.
        _trigram_index("ix_topics_title_trgm", "title"),
        _trigram_index("ix_topics_body_trgm", "body"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TopicKind] = mapped_column(
        Enum(TopicKind, native_enum=False, length=16), default=TopicKind.POST
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text)
    """Markdown as written."""
    body_html: Mapped[str] = mapped_column(Text)
    """Rendered and sanitized HTML of `body`."""
    addressee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """For a question: the owner or guest asked."""
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    is_essence: Mapped[bool] = mapped_column(Boolean, default=False)
    is_announcement: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    in_feed: Mapped[bool] = mapped_column(Boolean, default=True)
    feed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    paid_status: Mapped[PaidStatus | None] = mapped_column(
        Enum(PaidStatus, native_enum=False, length=16)
    )
    """Set on a paid question only."""
    price: Mapped[int | None] = mapped_column(Integer)
    """A paid question's price (minor units of the planet's currency)."""
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """A paid question's deadline for the answer (set once paid)."""
    answer_private: Mapped[bool] = mapped_column(Boolean, default=False)
    """The asker's choice: the answer is for the asker only (others may pay to peek)."""

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")
    addressee: Mapped[User | None] = relationship(foreign_keys=[addressee_id], lazy="raise")
    answer: Mapped[Answer | None] = relationship(
        back_populates="topic", lazy="raise", uselist=False
    )
    attachments: Mapped[list[Attachment]] = relationship(
        lazy="raise", order_by="Attachment.id", viewonly=True
    )

    @property
    def is_question(self) -> bool:
        return self.kind == TopicKind.QUESTION

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_paid_question(self) -> bool:
        return self.paid_status is not None

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "kind")


class QuestionOffer(CreatedAtMixin, db.Model):
    """The price the owner or a guest asks for a question addressed to them, and who may ask.
    No row (or no price) means free questions from members, as before."""

    __tablename__ = "question_offers"
    __table_args__ = (
        UniqueConstraint("planet_id", "user_id"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    price: Mapped[int] = mapped_column(Integer)
    audience: Mapped[Audience] = mapped_column(
        Enum(Audience, native_enum=False, length=16), default=Audience.MEMBERS
    )

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "price")


class AnswerPeek(CreatedAtMixin, db.Model):
    """Someone paid to read a private answer (偷看): granted once, by the verified payment."""

    __tablename__ = "answer_peeks"
    __table_args__ = (UniqueConstraint("topic_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    def __repr__(self) -> str:
        return model_repr(self, "topic_id", "user_id")


class Answer(CreatedAtMixin, db.Model):
    """The answer to a question, written by the one it was addressed to."""

    __tablename__ = "answers"
    __table_args__ = (_trigram_index("ix_answers_body_trgm", "body"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    topic: Mapped[Topic] = relationship(back_populates="answer", lazy="raise")
    author: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "topic_id")


class Comment(CreatedAtMixin, db.Model):
    """A comment on a topic; `parent_id` makes it a reply (one level only)."""

    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_topic", "topic_id", "id"),
        Index("ix_comments_thread", "topic_id", "parent_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    like_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "topic_id", "parent_id")


class Like(CreatedAtMixin, db.Model):
    """A like on exactly one of a topic or a comment."""

    __tablename__ = "likes"
    __table_args__ = (
        UniqueConstraint("user_id", "topic_id"),
        UniqueConstraint("user_id", "comment_id"),
        CheckConstraint("(topic_id IS NULL) <> (comment_id IS NULL)", name="one_target"),
        Index("ix_likes_topic", "topic_id"),
        Index("ix_likes_comment", "comment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "topic_id", "comment_id")


class Hashtag(db.Model):
    __tablename__ = "hashtags"
    __table_args__ = (
        UniqueConstraint("planet_id", "name"),
        Index("ix_hashtags_popular", "planet_id", "topic_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    topic_count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "name")


class TopicHashtag(db.Model):
    """Topic ↔ hashtag, with the topic's feed position copied for an indexed tag page."""

    __tablename__ = "topic_hashtags"
    __table_args__ = (Index("ix_topic_hashtags_feed", "hashtag_id", "feed_at", "topic_id"),)

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    hashtag_id: Mapped[int] = mapped_column(
        ForeignKey("hashtags.id", ondelete="CASCADE"), primary_key=True
    )
    feed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<TopicHashtag topic_id={self.topic_id} hashtag_id={self.hashtag_id}>"


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class Report(CreatedAtMixin, db.Model):
    """A member's report of a topic or comment, queued for the planet's moderators."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_queue", "planet_id", "status", "id"),
        Index("ix_reports_topic", "topic_id"),
        Index("ix_reports_comment", "comment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, native_enum=False, length=16), default=ReportStatus.OPEN
    )
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id], lazy="raise")
    topic: Mapped[Topic | None] = relationship(lazy="raise")
    comment: Mapped[Comment | None] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "status")


class Attachment(CreatedAtMixin, db.Model):
    """An uploaded file, served only through the access policy (never from a public folder)."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_topic", "topic_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """Random storage key; also what URLs carry, so ids cannot be enumerated."""
    planet_id: Mapped[int | None] = mapped_column(
        ForeignKey("planets.id", ondelete="CASCADE"), index=True
    )
    """None for public files such as avatars."""
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "content_type")


# The trigram indexes need the pg_trgm extension (trusted since PostgreSQL 13).
event.listen(
    Topic.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
