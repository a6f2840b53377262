"""Assignments and the members' submissions (graded by the owner or a guest)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.engagement.columns import PLANET_FK, USER_FK, TitledAuthored
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class Assignment(TitledAuthored, CreatedAtMixin, db.Model):
    __tablename__ = "eng_assignments"
    __table_args__ = (
        Index("ix_eng_assignments_planet", "planet_id", "id"),
        CheckConstraint("closes_at >= due_at", name="assignment_closes_after_due"),
    )

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
        Index("ix_eng_submissions_ungraded", "planet_id", "graded_at"),  # to grade: the header
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
