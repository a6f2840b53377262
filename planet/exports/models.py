"""A requested export: built by a worker into the storage, downloadable until it expires."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime


class ExportKind(enum.StrEnum):
    PLANET = "planet"  # the owner's whole planet
    PERSONAL = "personal"  # what one person wrote and paid, in every planet


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


class DataExport(CreatedAtMixin, db.Model):
    __tablename__ = "data_exports"
    __table_args__ = (
        Index("ix_data_exports_user", "user_id", "id"),
        Index("ix_data_exports_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ExportKind] = mapped_column(Enum(ExportKind, native_enum=False, length=16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    planet_id: Mapped[int | None] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    status: Mapped[ExportStatus] = mapped_column(
        Enum(ExportStatus, native_enum=False, length=16),
        default=ExportStatus.QUEUED,
    )
    storage_key: Mapped[str | None] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer, default=0)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
