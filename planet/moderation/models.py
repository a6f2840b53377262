"""A planet's sensitive words, what they held for review, and the planet's audit list."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class HeldKind(enum.StrEnum):
    TOPIC = "topic"
    QUESTION = "question"
    COMMENT = "comment"
    INTRODUCTION = "introduction"
    CHECK_IN = "check_in"
    SUBMISSION = "submission"
    FILE = "file"


class HeldStatus(enum.StrEnum):
    HELD = "held"
    APPROVED = "approved"
    REJECTED = "rejected"


class WordList(db.Model):
    """The planet's own sensitive words, one per line (the platform's are added to them)."""

    __tablename__ = "moderation_word_lists"

    planet_id: Mapped[int] = mapped_column(
        ForeignKey("planets.id", ondelete="CASCADE"), primary_key=True
    )
    words: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HeldPost(CreatedAtMixin, db.Model):
    """A submission that matched a sensitive word: not content until a moderator approves it
    (then it is created through its own service, as its author)."""

    __tablename__ = "moderation_held_posts"
    __table_args__ = (
        Index("ix_moderation_held_queue", "planet_id", "status", "id"),
        Index("ix_moderation_held_author", "author_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[HeldKind] = mapped_column(Enum(HeldKind, native_enum=False, length=16))
    payload: Mapped[str] = mapped_column(Text)
    """JSON: what the service needs to create it (title, body, addressee, topic, parent...)."""
    word: Mapped[str] = mapped_column(String(50))
    status: Mapped[HeldStatus] = mapped_column(
        Enum(HeldStatus, native_enum=False, length=16), default=HeldStatus.HELD
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_ref: Mapped[int | None] = mapped_column(Integer)
    """The id of what it became when approved (topic, comment, introduction, check-in...)."""

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "kind", "status")


class AuditEntry(CreatedAtMixin, db.Model):
    """One moderation action in a planet (append-only): who did what to what."""

    __tablename__ = "moderation_audit"
    __table_args__ = (Index("ix_moderation_audit_planet", "planet_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "action", "target")
