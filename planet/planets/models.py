"""Planets, their tags and memberships (with the member's role)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planet.accounts.models import User
from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr, utcnow
from planet.planets import content_version
from planet.text import plain_excerpt, shorten_plain


class PostingPolicy(enum.StrEnum):
    STAFF = "staff"
    """Owner, admins and guests publish topics (the default)."""
    MEMBERS = "members"
    """Every active member may publish topics."""


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    GUEST = "guest"
    MEMBER = "member"


class MembershipStatus(enum.StrEnum):
    ACTIVE = "active"
    """Has access until `expires_at` (or forever when it is None)."""
    LEFT = "left"
    REMOVED = "removed"
    BANNED = "banned"
    REFUNDED = "refunded"
    EXPIRED = "expired"
    """Recorded by the expiry sweep; the request path already treats a past expiry as expired."""


class MembershipSource(enum.StrEnum):
    """How the current period was obtained: income and health count the free ones apart."""

    PAID = "paid"
    """Paid through checkout (or joined a free planet)."""
    IMPORT = "import"
    """Paid elsewhere, brought in by the owner's import (planet/members/imports.py)."""
    COMP = "comp"
    """A complimentary seat the owner granted (a guest, a partner, a prize)."""
    GIFT = "gift"
    """A year someone else bought and the member redeemed with a gift code."""


DEFAULT_RENEWAL_GRACE_DAYS = 7
MIN_RENEWAL_GRACE_DAYS = 7
"""The dunning grace must cover the last auto-renewal retry (payments.renewals.RETRY_AFTER)."""
MAX_RENEWAL_GRACE_DAYS = 30


EXCERPT_CHARS = 160


class Planet(CreatedAtMixin, db.Model):
    __tablename__ = "planets"
    __table_args__ = (
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("preview_essence_count >= 0", name="preview_not_negative"),
        Index("ix_planets_listed_members", "is_listed", "member_count"),
        Index("ix_planets_listed_activity", "is_listed", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(String(EXCERPT_CHARS), default="", server_default="")
    """The description as plain text, cut to EXCERPT_CHARS; stored whenever the description is
    set (a `set` event below), so discover and the landing never render Markdown for it."""
    avatar_path: Mapped[str | None] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(40), default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    price_amount: Mapped[int] = mapped_column(Integer, default=0)
    """Yearly join price in minor units of `currency`; 0 means free."""
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    renewal_grace_days: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_RENEWAL_GRACE_DAYS, server_default=str(DEFAULT_RENEWAL_GRACE_DAYS)
    )
    """Days a member whose auto-renewal failed keeps access after expiry while the charge is
    retried (read through payments.renewals.grace_period)."""

    join_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """A free planet that screens newcomers: joining is a request the moderators decide."""
    join_questions: Mapped[str] = mapped_column(Text, default="", server_default="")
    """Up to three questions the applicant answers, one per line."""
    weekly_report_day: Mapped[int | None] = mapped_column(
        Integer, default=0, server_default="0", nullable=True
    )
    """The weekday (0 = Monday, planet's time zone) the owner's weekly report is mailed; None
    when the owner switched it off (payments/weekly_report.py)."""

    # Settings the access policy reads
    posting_policy: Mapped[PostingPolicy] = mapped_column(
        Enum(PostingPolicy, native_enum=False, length=16), default=PostingPolicy.STAFF
    )
    questions_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    anonymous_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    comments_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    private_messages_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    roster_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    preview_essence_count: Mapped[int] = mapped_column(Integer, default=3)
    rules: Mapped[str] = mapped_column(Text, default="")
    public_directory: Mapped[bool] = mapped_column(Boolean, default=False)
    watermark: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Leak protection: members' names and numbers drawn over topic images and pages."""
    copy_protection: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Leak protection: no copy, right-click or download buttons in the UI (a deterrent)."""
    """Visitors may see members' introductions (never their contact details)."""
    is_listed: Mapped[bool] = mapped_column(Boolean, default=True)
    """Shown on the discover page."""
    dissolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """A dissolved planet is read-only."""
    checklist_dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the owner put away the first-hour checklist (planet/planets/first_hour.py)."""

    # Denormalised counters, kept by the services so no page counts a table.
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    topic_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Bumped by the database in every transaction that changes what a reading page shows
    (planet/planets/content_version.py); the member page cache keys pages with it."""

    owner: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    tags: Mapped[list[PlanetTag]] = relationship(
        back_populates="planet", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_free(self) -> bool:
        return self.price_amount == 0

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved_at is not None

    def __repr__(self) -> str:
        return model_repr(self, "slug")

    def short_excerpt(self, limit: int) -> str:
        """The stored excerpt cut to `limit` characters, the same text as
        `plain_excerpt(description, limit)` for any limit up to EXCERPT_CHARS."""
        return shorten_plain(self.excerpt, limit)


@event.listens_for(Planet.description, "set")
def _store_excerpt(planet: Planet, value, _old, _initiator) -> None:
    planet.excerpt = plain_excerpt(value or "", EXCERPT_CHARS)


class PlanetTag(db.Model):
    """A discovery tag on a planet (not a topic hashtag)."""

    __tablename__ = "planet_tags"
    __table_args__ = (UniqueConstraint("planet_id", "name"), Index("ix_planet_tags_name", "name"))

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(30))

    planet: Mapped[Planet] = relationship(back_populates="tags")

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "name")


class Membership(CreatedAtMixin, db.Model):
    """A person's place in a planet: one row per (planet, user), reused on re-joining.

    The unique constraint is what guarantees at most one membership per person and planet;
    the row's history (payments, periods) lives in other tables.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("planet_id", "user_id"),
        Index("ix_memberships_user_id", "user_id"),
        Index("ix_memberships_planet_status", "planet_id", "status", "id"),
        Index("ix_memberships_expires_at", "status", "expires_at"),
        Index("ix_memberships_planet_source", "planet_id", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    planet_id: Mapped[int] = mapped_column(ForeignKey("planets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16), default=Role.MEMBER
    )
    status: Mapped[MembershipStatus] = mapped_column(
        Enum(MembershipStatus, native_enum=False, length=16), default=MembershipStatus.ACTIVE
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """Access ends at this instant; None never expires (owner, free planets)."""
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """A moderator muted this member until then: they read, they do not write (the policy)."""
    """Set while an auto-renewal is being retried: access continues until then."""
    is_trial: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[MembershipSource] = mapped_column(
        Enum(MembershipSource, native_enum=False, length=16),
        default=MembershipSource.PAID,
        server_default=MembershipSource.PAID.name,
    )
    rules_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    planet: Mapped[Planet] = relationship(lazy="raise")
    user: Mapped[User] = relationship(lazy="raise")

    def is_entitled_at(self, now: datetime) -> bool:
        """Has access at `now`: the Python side of `active_at` (a member in the dunning grace
        period is active everywhere)."""
        if self.status is not MembershipStatus.ACTIVE:
            return False
        if self.role is Role.OWNER or self.expires_at is None or now < self.expires_at:
            return True
        return self.grace_until is not None and now < self.grace_until

    def is_in_grace_at(self, now: datetime) -> bool:
        """Entitled only through the grace period (the paid term has ended)."""
        return (
            self.is_entitled_at(now)
            and self.role is not Role.OWNER
            and self.expires_at is not None
            and now >= self.expires_at
        )

    @classmethod
    def active_at(cls, now: datetime) -> ColumnElement[bool]:
        """The SQL side of `is_entitled_at`: every query that asks "who is a member now" uses
        this expression (roster, directory, lotteries, digests, leaderboards, health)."""
        return and_(
            cls.status == MembershipStatus.ACTIVE,
            or_(
                cls.role == Role.OWNER,
                cls.expires_at.is_(None),
                cls.expires_at > now,
                and_(cls.grace_until.is_not(None), cls.grace_until > now),
            ),
        )

    def __repr__(self) -> str:
        return model_repr(self, "planet_id", "user_id", "role", "status")


def ending_between(planet_id, start, end):
    """Active memberships of a planet whose paid time ends in (start, end]: the win-back list
    (payments/win_back.py) and its count on the owner's header (planet/planets/inbox.py)."""
    return and_(
        Membership.planet_id == planet_id,
        Membership.status == MembershipStatus.ACTIVE,
        Membership.expires_at > start,
        Membership.expires_at <= end,
    )


content_version.init_metadata(db.metadata)
