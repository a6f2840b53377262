"""Self-introductions, their tags, the owner's template and the reminder keys."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.engagement.columns import PLANET_FK, InPlanet, MemberRow
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr, utcnow


class IntroductionTemplate(db.Model):
    """The owner's guidance for each section of the self-introduction (one row per planet)."""

    __tablename__ = "eng_intro_templates"

    planet_id: Mapped[int] = mapped_column(
        ForeignKey(PLANET_FK, ondelete="CASCADE"), primary_key=True
    )
    prompts: Mapped[dict] = mapped_column(JSON, default=dict)
    """{section: guidance text}; a missing section uses the default prompt."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id")


class Introduction(MemberRow, CreatedAtMixin, db.Model):
    __tablename__ = "eng_introductions"
    __table_args__ = (
        UniqueConstraint("planet_id", "user_id"),
        Index("ix_eng_intro_list", "planet_id", "id"),
        Index("ix_eng_intro_city", "planet_id", "city_key", "id"),
    )

    who: Mapped[str] = mapped_column(Text, default="")
    work: Mapped[str] = mapped_column(Text, default="")
    offer: Mapped[str] = mapped_column(Text, default="")
    seeking: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(60), default="")
    city_key: Mapped[str] = mapped_column(String(60), default="")
    """Lower-cased city for exact filtering."""
    tags: Mapped[list] = mapped_column(JSON, default=list)
    """Skills and tags as entered (normalised copies live in IntroductionTag)."""
    contact: Mapped[str] = mapped_column(String(200), default="")
    """Shown only to active members, and only while the roster is visible."""
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Lower-cased concatenation of the public fields, for text search."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id")


class IntroductionTag(InPlanet, db.Model):
    __tablename__ = "eng_intro_tags"
    __table_args__ = (
        UniqueConstraint("introduction_id", "tag"),
        Index("ix_eng_intro_tags_lookup", "planet_id", "tag", "introduction_id"),
    )

    introduction_id: Mapped[int] = mapped_column(
        ForeignKey("eng_introductions.id", ondelete="CASCADE")
    )
    tag: Mapped[str] = mapped_column(String(40))

    def __repr__(self) -> str:
        return model_repr(self, "introduction_id", "tag")


class IntroductionReminder(MemberRow, db.Model):
    """One reminder per (planet, member, local day): reminding twice a day sends once."""

    __tablename__ = "eng_intro_reminders"
    __table_args__ = (UniqueConstraint("planet_id", "user_id", "day"),)

    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
