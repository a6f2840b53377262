"""Accounts: users and their server-side login sessions."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class User(CreatedAtMixin, UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Stored lower-cased; the login name."""
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_path: Mapped[str | None] = mapped_column(String(255))
    """Key of the avatar file in the upload store."""
    locale: Mapped[str | None] = mapped_column(String(10))
    """Preferred UI language; None means follow the browser."""
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unread_notifications: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """The top bar's badge, kept by planet/notifications/services.py in the same transaction
    as the notifications it counts (loaded with the login, so no page counts them)."""

    sessions: Mapped[list[AuthSession]] = relationship(back_populates="user", lazy="raise")

    # Set by the user loader: the server-side session this request was authenticated with.
    current_auth_session = None  # an AuthSession, set per request

    def get_id(self) -> str | None:
        """Flask-Login stores this in the cookie: the server-side session key, not the user id."""
        return self.current_auth_session.key if self.current_auth_session else None

    def __repr__(self) -> str:
        return model_repr(self, "email")


class AuthSession(CreatedAtMixin, db.Model):
    """A login on one device. Log-out or a password change revokes it on the server."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """Random, unguessable; what the session and remember-me cookies carry."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(back_populates="sessions", lazy="joined")

    def __repr__(self) -> str:
        return model_repr(self, "user_id", "revoked_at")
