"""A draft: a topic or an announcement not yet published, possibly scheduled."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr

KEYS_MAX = 1000
FAILURE_MAX = 300


class DraftState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    FAILED = "failed"
    """Its time came but it could not be published (the reason is kept); the author decides."""


class Draft(CreatedAtMixin, db.Model):
    __tablename__ = "content_drafts"
    __table_args__ = (
        # The sweep's claim: scheduled drafts whose time has come, oldest first.
        Index("ix_content_drafts_due", "state", "publish_at", "id"),
        Index("ix_content_drafts_author", "planet_id", "author_id", "state", "id"),
        Index("ix_content_drafts_announcements", "planet_id", "announce", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(120), default="")
    body: Mapped[str] = mapped_column(Text)
    attachment_keys: Mapped[str] = mapped_column(String(KEYS_MAX), default="")
    """Images uploaded for it (space separated keys), attached when it is published."""
    announce: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[DraftState] = mapped_column(
        Enum(DraftState, native_enum=False, length=16), default=DraftState.DRAFT
    )
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When a scheduled draft is due (UTC)."""
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("topics.id", ondelete="SET NULL"), unique=True
    )
    """The topic it became (one at most: a second publication cannot happen)."""
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failure: Mapped[str] = mapped_column(String(FAILURE_MAX), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def keys(self) -> list[str]:
        return [key for key in (self.attachment_keys or "").split() if key]

    @property
    def is_open(self) -> bool:
        """Still unpublished (a draft, scheduled, or failed at its time)."""
        return self.state is not DraftState.PUBLISHED

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "state", "publish_at")
