"""Polls (options, one ballot per voter) and lotteries (commit-reveal seeds)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.engagement.columns import USER_FK, Authored, TitledAuthored, enum_column
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class ResultsVisibility(enum.StrEnum):
    AFTER_VOTE = "after_vote"
    AFTER_CLOSE = "after_close"


class Poll(Authored, CreatedAtMixin, db.Model):
    __tablename__ = "eng_polls"
    __table_args__ = (Index("ix_eng_polls_planet", "planet_id", "id"),)

    question: Mapped[str] = mapped_column(String(200))
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    results: Mapped[ResultsVisibility] = mapped_column(
        enum_column(ResultsVisibility), default=ResultsVisibility.AFTER_VOTE
    )
    voter_count: Mapped[int] = mapped_column(Integer, default=0)

    options: Mapped[list[PollOption]] = relationship(
        lazy="selectin", order_by="PollOption.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "closes_at")


class PollOption(db.Model):
    __tablename__ = "eng_poll_options"
    __table_args__ = (Index("ix_eng_poll_options_poll", "poll_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("eng_polls.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)


class PollBallot(CreatedAtMixin, db.Model):
    """One per voter and poll: the unique key is what makes a second vote a conflict."""

    __tablename__ = "eng_poll_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("eng_polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"))
    option_ids: Mapped[list] = mapped_column(JSON, default=list)


class LotteryEligibility(enum.StrEnum):
    CHECKED_IN_THIS_WEEK = "checked_in_week"
    ACTIVE_THIS_WEEK = "active_week"
    ALL_MEMBERS = "all_members"


class Lottery(TitledAuthored, CreatedAtMixin, db.Model):
    __tablename__ = "eng_lotteries"
    __table_args__ = (
        Index("ix_eng_lotteries_planet", "planet_id", "id"),
        CheckConstraint("winner_count > 0", name="lottery_winners_positive"),
    )

    prize: Mapped[str] = mapped_column(String(200), default="")
    eligibility: Mapped[LotteryEligibility] = mapped_column(enum_column(LotteryEligibility))
    winner_count: Mapped[int] = mapped_column(Integer, default=1)
    seed_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the seed, shown from creation (the commitment)."""
    seed: Mapped[str] = mapped_column(String(64))
    """Secret until the draw, shown after it."""
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    entrants: Mapped[list | None] = mapped_column(JSON)
    """Sorted user ids that were eligible at the draw (published with the seed)."""
    winners: Mapped[list | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "drawn_at")
