"""Private messages between people who share a planet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class Message(CreatedAtMixin, db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_inbox", "recipient_id", "id"),
        Index("ix_messages_outbox", "sender_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    """The planet whose switch and membership allowed this message."""
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sender: Mapped[User] = relationship(foreign_keys=[sender_id], lazy="raise")
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id], lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "sender_id", "recipient_id")
