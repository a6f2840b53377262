"""Membership bookkeeping outside the planets' own tables: the once-per-period record of
renewal reminders and expiry notices, imports of existing members and their invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


class ImportStatus(enum.StrEnum):
    PREVIEW = "preview"
    """Uploaded and checked; nobody is invited until the owner confirms."""
    RUNNING = "running"
    """A worker is creating the invitations, one chunk per job."""
    DONE = "done"


class MemberImport(CreatedAtMixin, db.Model):
    """One uploaded list of people who already paid elsewhere (planet/members/imports.py).

    The checked rows are kept as JSON until the worker has invited everyone; `processed_rows`
    moves in the same transaction as each chunk's invitations, so a killed worker resumes
    where the last committed chunk ended. The same file twice is the same import (unique
    content hash per planet)."""

    __tablename__ = "member_imports"
    __table_args__ = (UniqueConstraint("planet_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[ImportStatus] = mapped_column(
        Enum(ImportStatus, native_enum=False, length=16), default=ImportStatus.PREVIEW
    )
    rows_json: Mapped[str] = mapped_column(Text, default="[]")
    """The rows to invite: [name, contact, kind, role, expires_at ISO], in file order."""
    report_json: Mapped[str] = mapped_column(Text, default="{}")
    """What the preview shows: per-row errors and duplicates (planet/members/imports.py)."""
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    invited_count: Mapped[int] = mapped_column(Integer, default=0)
    already_invited_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "status", "processed_rows", "total_rows")


class Invitation(CreatedAtMixin, db.Model):
    """A signed one-time link that makes its holder a member until `expires_at`, without paying
    (planet/members/invitations.py): from an import, or a free seat the owner granted. One per
    (planet, person, expiry): importing the same people with the same expiry again invites
    nobody twice."""

    __tablename__ = "member_invitations"
    __table_args__ = (
        UniqueConstraint("planet_id", "contact", "expires_at"),
        Index("ix_member_invitations_import", "import_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("member_imports.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(60), default="")
    contact: Mapped[str] = mapped_column(String(254))
    """A lower-cased email address, or a phone number as +<digits>."""
    contact_kind: Mapped[str] = mapped_column(String(8), default="email")
    role: Mapped[str] = mapped_column(String(16), default="member")
    source: Mapped[str] = mapped_column(String(8), default="import")
    """What the membership it makes counts as: 'import' (paid elsewhere) or 'comp' (a free
    seat the owner granted); a MembershipSource value."""
    note: Mapped[str] = mapped_column(String(120), default="")
    """Why a free seat was granted (the owner's words: a guest, a partner, a prize)."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "contact", "accepted_at")


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class JoinApplication(CreatedAtMixin, db.Model):
    """A request to join a free planet that screens newcomers (planet/members/screening.py):
    the applicant's answers to the owner's questions, and the decision with its reason."""

    __tablename__ = "member_join_applications"
    __table_args__ = (
        Index("ix_member_join_applications_queue", "planet_id", "status", "id"),
        Index(
            "uq_member_join_applications_pending",
            "planet_id",
            "user_id",
            unique=True,
            sqlite_where=db.text("status = 'pending'"),
            postgresql_where=db.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    answers: Mapped[str] = mapped_column(Text, default="[]")
    """JSON: [[question, answer], ...] as asked at the time."""
    status: Mapped[ApplicationStatus] = mapped_column(
        Enum(
            ApplicationStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ApplicationStatus.PENDING,
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "status")
