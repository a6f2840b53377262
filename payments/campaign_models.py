"""Campaigns to member segments and their recipients (payments/campaigns.py)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from payments.models import _enum
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class CampaignSegment(enum.StrEnum):
    """Who a campaign (or the segments page) is about (payments/campaigns.py)."""

    EXPIRING = "expiring"
    LAPSED = "lapsed"
    NEVER_POSTED = "never_posted"
    MOST_ACTIVE = "most_active"
    REFERRAL = "referral"
    COUPON = "coupon"


class Campaign(CreatedAtMixin, db.Model):
    """A message the owner sent to a segment of members, with an optional renewal coupon; its
    recipients are fixed when it is created, and each is sent it once (payments/campaigns.py)."""

    __tablename__ = "payment_campaigns"
    __table_args__ = (Index("ix_payment_campaigns_planet", "planet_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    segment: Mapped[CampaignSegment] = mapped_column(_enum(CampaignSegment, 16))
    days: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("payment_coupons.id"))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "segment", "recipients")


class CampaignRecipient(db.Model):
    """One member a campaign goes to: sent once, with when they opened its link."""

    __tablename__ = "payment_campaign_recipients"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("payment_campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(32), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return model_repr(self, "campaign_id", "user_id")
