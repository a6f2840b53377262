"""The win-back view: members whose paid time ends within WINDOW, with what they did lately,
whether auto-renew is on, and the owner's one-click actions (a renewal reminder, a one-person
coupon sent by private message).

A page is keyset-paginated on (expires_at, membership id) and costs four statements whatever its
size: the members (with auto-renew and their last activity and read), then their recent reads and
questions, each ranked per member in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select

from payments import pricing
from payments.models import AutoRenewal, CouponKind
from payments.renewals import renewal_price
from planet import policy
from planet.accounts.models import User
from planet.content.models import Topic, TopicKind
from planet.engagement.insights.models import ActivityEvent, TopicRead
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.members.expiry import date_text, record_many
from planet.messages import services as messages
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.inbox import WIN_BACK_WINDOW
from planet.planets.models import Membership, Planet, ending_between
from planet.web.links import external_url

WINDOW = WIN_BACK_WINDOW
PAGE_SIZE = 50
RECENT = 3
"""Recent reads and questions shown per member."""
OWNER_REMINDER = "owner"
"""The ReminderSent kind of a reminder the owner sent by hand (once per membership period)."""
COUPON_PERCENTS = (10, 20, 30, 50)
COUPON_DAYS_AFTER_EXPIRY = 14


@dataclass
class Expiring:
    membership: Membership
    user: User
    auto_renew: bool
    last_activity: datetime | None
    last_read: date | None
    reads: list = field(default_factory=list)
    """[(topic id, title or excerpt)] most recent first."""
    questions: list = field(default_factory=list)


def expiring_where(planet_id, now: datetime):
    """The memberships of a planet whose paid time ends within WINDOW (active, not yet over)."""
    return ending_between(planet_id, now, now + WINDOW)


def expiring_page(planet: Planet, now: datetime, after: tuple | None = None):
    """(rows, next cursor key or None): members expiring soonest first."""
    last_activity = (
        select(func.max(ActivityEvent.occurred_at))
        .where(ActivityEvent.planet_id == planet.id, ActivityEvent.user_id == Membership.user_id)
        .scalar_subquery()
    )
    last_read = (
        select(func.max(TopicRead.day))
        .where(TopicRead.planet_id == planet.id, TopicRead.user_id == Membership.user_id)
        .scalar_subquery()
    )
    statement = (
        select(Membership, User, AutoRenewal.enabled, last_activity, last_read)
        .join(User, User.id == Membership.user_id)
        .outerjoin(AutoRenewal, AutoRenewal.membership_id == Membership.id)
        .where(expiring_where(planet.id, now))
        .order_by(Membership.expires_at, Membership.id)
        .limit(PAGE_SIZE + 1)
    )
    if after is not None:
        moment, membership_id = after
        statement = statement.where(
            or_(
                Membership.expires_at > moment,
                and_(Membership.expires_at == moment, Membership.id > membership_id),
            )
        )
    rows = db.session.execute(statement).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    items = [
        Expiring(m, u, bool(enabled), activity, read) for m, u, enabled, activity, read in rows
    ]
    _add_recent(planet, items)
    last = items[-1].membership if more else None
    return items, ((last.expires_at, last.id) if last else None)


def _ranked(statement, partition, order):
    rank = func.row_number().over(partition_by=partition, order_by=order).label("rank")
    ranked = statement.add_columns(rank).subquery()
    return select(ranked).where(ranked.c.rank <= RECENT)


def _label(title: str, body: str) -> str:
    return title or (body[:60] + ("…" if len(body) > 60 else ""))


def _add_recent(planet: Planet, items: list[Expiring]) -> None:
    by_user = {item.user.id: item for item in items}
    if not by_user:
        return
    reads = _ranked(
        select(TopicRead.user_id, Topic.id.label("topic_id"), Topic.title, Topic.body)
        .join(Topic, Topic.id == TopicRead.topic_id)
        .where(
            TopicRead.planet_id == planet.id,
            TopicRead.user_id.in_(by_user),
            Topic.deleted_at.is_(None),
        ),
        TopicRead.user_id,
        (TopicRead.day.desc(), TopicRead.id.desc()),
    )
    for row in db.session.execute(reads):
        by_user[row.user_id].reads.append((row.topic_id, _label(row.title, row.body)))
    asked = _ranked(
        select(Topic.author_id, Topic.id.label("topic_id"), Topic.title, Topic.body).where(
            Topic.planet_id == planet.id,
            Topic.author_id.in_(by_user),
            Topic.kind == TopicKind.QUESTION,
            Topic.deleted_at.is_(None),
        ),
        Topic.author_id,
        (Topic.created_at.desc(), Topic.id.desc()),
    )
    for row in db.session.execute(asked):
        by_user[row.author_id].questions.append((row.topic_id, _label(row.title, row.body)))


def count_expiring(planet: Planet, now: datetime) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(expiring_where(planet.id, now))
    )


def _expiring_membership(planet: Planet, membership_id: int, now: datetime) -> Membership:
    membership = db.session.scalar(
        select(Membership).where(Membership.id == membership_id, expiring_where(planet.id, now))
    )
    if membership is None:
        raise NotFound(_l("This member's paid time does not end within 30 days."))
    return membership


def remind(planet: Planet, actor, membership_id: int, now: datetime) -> Membership:
    """The renewal reminder (in-app and mail), sent now by the owner: once per period."""
    policy.require(actor, policy.Action.WIN_BACK, planet)
    membership = _expiring_membership(planet, membership_id, now)
    if not record_many([(membership.id, OWNER_REMINDER, membership.expires_at)]):
        raise Conflict(_l("You already reminded this member for this period."))
    amount, currency = renewal_price(planet, early=True)
    notifications.notify_many(
        Kind.RENEWAL_REMINDER,
        [
            notifications.Notice(
                membership.user_id,
                f"remind:{membership.id}:{OWNER_REMINDER}:{membership.expires_at.isoformat()}",
                planet=planet,
                data={
                    "date": date_text(membership.expires_at),
                    "amount": notifications.format_amount(amount, currency),
                    "link": external_url("payments.checkout", slug=planet.slug, renew=1),
                    "memberships_link": external_url("payments.my_memberships"),
                },
            )
        ],
    )
    return membership


def offer_coupon(planet: Planet, actor, membership_id: int, percent: int, now: datetime):
    """A one-use coupon of `percent` off the renewal, sent to the member by private message
    (it works until COUPON_DAYS_AFTER_EXPIRY days after their paid time ends)."""
    policy.require(actor, policy.Action.WIN_BACK, planet)
    if percent not in COUPON_PERCENTS:
        raise ServiceError(_l("Choose one of the offered discounts."))
    membership = _expiring_membership(planet, membership_id, now)
    coupon = pricing.create_coupon(
        planet,
        actor,
        code="",
        kind=CouponKind.PERCENT,
        value=percent,
        max_uses=1,
        expires_at=membership.expires_at + timedelta(days=COUPON_DAYS_AFTER_EXPIRY),
    )
    link = external_url("payments.checkout", slug=planet.slug, renew=1, coupon=coupon.code)
    with in_recipient_language(db.session.get(User, membership.user_id)):
        body = _(
            "Your membership of %(planet)s ends on %(date)s. Stay with us: here is %(percent)s%% "
            "off your renewal, with the code %(code)s (once, until %(until)s): %(link)s",
            planet=planet.name,
            date=date_text(membership.expires_at),
            percent=percent,
            code=coupon.code,
            until=date_text(coupon.expires_at),
            link=link,
        )
    messages.send_message(planet, actor, membership.user_id, body)
    return coupon
