"""Private messages between people who share a planet."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr, utcnow


class Message(CreatedAtMixin, db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_inbox", "recipient_id", "id"),
        Index("ix_messages_outbox", "sender_id", "id"),
        Index("ix_messages_thread", "planet_id", "sender_id", "recipient_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    """The planet whose switch and membership allowed this message."""
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    """Markdown as written; rendered and sanitized when shown."""
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sender: Mapped[User] = relationship(foreign_keys=[sender_id], lazy="raise")
    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id], lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "sender_id", "recipient_id")


class Conversation(db.Model):
    """One person's view of their exchange with a counterpart in a planet (the inbox row).

    Two rows per pair (one for each side), kept by the send and mark-read services, so the inbox
    is one indexed range scan instead of grouping the messages table.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("user_id", "planet_id", "counterpart_id"),
        Index("ix_conversations_inbox", "user_id", "last_message_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    counterpart_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    last_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    unread_count: Mapped[int] = mapped_column(Integer, default=0)
    """Messages from the counterpart that `user_id` has not read yet."""

    counterpart: Mapped[User] = relationship(foreign_keys=[counterpart_id], lazy="raise")
    last_message: Mapped[Message | None] = relationship(lazy="raise")
    planet = relationship("Planet", lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "planet_id", "counterpart_id", "unread_count")
