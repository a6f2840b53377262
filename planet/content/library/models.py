"""A file in a planet's library."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr

NAME_MAX = 200


class PlanetFile(CreatedAtMixin, db.Model):
    """A document, archive, recording or image shared in a planet (on the Files tab, and on its
    topic's page when it came with a topic). The bytes live in storage under `key`."""

    __tablename__ = "content_files"
    __table_args__ = (
        Index("ix_content_files_planet", "planet_id", "listed", "deleted_at", "id"),
        Index("ix_content_files_topic", "topic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """The uploader (named like a topic's author: the policy's IsAuthor applies)."""
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    thumbnail: Mapped[bool] = mapped_column(Boolean, default=False)
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    """False while its topic waits for review (only its uploader and moderators see it)."""
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "kind", "name")
