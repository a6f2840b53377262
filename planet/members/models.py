"""Membership bookkeeping outside the planets' own tables: the once-per-period record of
renewal reminders and expiry notices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class ReminderSent(CreatedAtMixin, db.Model):
    """A renewal reminder (or expiry notice) recorded once per membership period."""

    __tablename__ = "worker_reminders_sent"
    __table_args__ = (UniqueConstraint("membership_id", "kind", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    """'7d', '1d' or 'expired'."""
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "membership_id", "kind")
