"""What the owner and admins set on an FAQ entry, and the questions an existing answer deflected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr

SUMMARY_MAX = 500


class FaqEntry(db.Model):
    """An answered question's place in the FAQ, once a moderator touched it (every answered
    question with a public answer is in the FAQ without a row)."""

    __tablename__ = "content_faq_entries"
    __table_args__ = (Index("ix_content_faq_entries_planet", "planet_id", "promoted"),)

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "topic_id", "promoted", "hidden")


class FaqDeflection(CreatedAtMixin, db.Model):
    """A member about to ask said an existing answer answered them: a question not asked.
    Once per member and answer."""

    __tablename__ = "content_faq_deflections"
    __table_args__ = (
        UniqueConstraint("user_id", "topic_id", name="uq_content_faq_deflections_user_topic"),
        Index("ix_content_faq_deflections_planet", "planet_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "topic_id")
