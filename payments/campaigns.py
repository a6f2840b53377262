"""Segments of a planet's members and the owner's campaigns to them.

A segment is a filter on memberships by state and behaviour (SEGMENTS); the segments page lists
one (keyset-paged on the membership id) and exports it as CSV. A campaign fixes its recipients
when it is created (one INSERT ... SELECT of the segment), can carry a renewal coupon, and is
sent by a deferred job: an in-app notification and a mail per recipient, each once (the
notification's dedupe key), which the member can switch off like any other kind. The campaign's
link goes through /c/<token>, which notes the first visit; the funnel is sent → opened →
renewed (a payment for the planet by a recipient after the campaign went out).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, literal, not_, select, update
from sqlalchemy.orm import Session

from payments import pricing
from payments.campaign_models import Campaign, CampaignRecipient, CampaignSegment
from payments.models import PAID_STATUSES, CouponKind, Payment
from planet import jobs, policy
from planet.accounts.models import User
from planet.engagement.insights.models import ActivityEvent, ActivityWeek
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Membership, MembershipStatus, Planet, Role, ending_between
from planet.web.links import external_url

DAYS = {
    CampaignSegment.EXPIRING: (30, 1, 90),
    CampaignSegment.LAPSED: (30, 1, 365),
    CampaignSegment.NEVER_POSTED: (0, 0, 0),
    CampaignSegment.MOST_ACTIVE: (30, 7, 90),
    CampaignSegment.REFERRAL: (0, 0, 0),
    CampaignSegment.COUPON: (0, 0, 0),
}
"""Per segment: (default, least, most) days of its window; (0, 0, 0) when it has none."""
MOST_ACTIVE_LIMIT = 50
PAGE_SIZE = 50
SEND_BATCH = 500
SUBJECT_MAX = 120
BODY_MAX = 2000
RENEWAL_SEGMENTS = (CampaignSegment.EXPIRING, CampaignSegment.LAPSED)
COUPON_PERCENTS = (10, 20, 30, 50)
COUPON_DAYS = 30
RESEND_GUARD = timedelta(minutes=30)
"""The same subject to the same segment within this time is a double submit, refused."""

LABELS = {
    CampaignSegment.EXPIRING: _l("Paid time ends within N days"),
    CampaignSegment.LAPSED: _l("Lapsed in the last N days"),
    CampaignSegment.NEVER_POSTED: _l("Never posted"),
    CampaignSegment.MOST_ACTIVE: _l("Most active in the last N days"),
    CampaignSegment.REFERRAL: _l("Joined through a referral"),
    CampaignSegment.COUPON: _l("Joined with a coupon"),
}


def parse_segment(raw: str | None, raw_days) -> tuple[CampaignSegment, int]:
    """The segment and its window from a form or a query string; ServiceError when unknown
    or out of range."""
    try:
        segment = CampaignSegment(raw or CampaignSegment.EXPIRING)
    except ValueError:
        raise ServiceError(_l("Unknown segment.")) from None
    default, least, most = DAYS[segment]
    if not most:
        return segment, 0
    try:
        days = int(raw_days) if raw_days not in (None, "") else default
    except (TypeError, ValueError):
        raise ServiceError(_l("Give a number of days.")) from None
    if not least <= days <= most:
        raise ServiceError(_l("Between %(a)s and %(b)s days.", a=least, b=most))
    return segment, days


def _paid_with(planet: Planet, condition):
    return exists().where(
        Payment.planet_id == planet.id,
        Payment.user_id == Membership.user_id,
        Payment.status.in_(PAID_STATUSES),
        condition,
    )


def segment_select(planet: Planet, segment: CampaignSegment, days: int, now: datetime):
    """select(Membership.id, Membership.user_id) of the segment (the owner never in it)."""
    base = select(Membership.id, Membership.user_id).where(
        Membership.planet_id == planet.id, Membership.role != Role.OWNER
    )
    active = Membership.active_at(now)
    if segment is CampaignSegment.EXPIRING:
        return base.where(ending_between(planet.id, now, now + timedelta(days=days)))
    if segment is CampaignSegment.LAPSED:
        return base.where(
            not_(active),
            Membership.status.in_((MembershipStatus.ACTIVE, MembershipStatus.EXPIRED)),
            Membership.expires_at >= now - timedelta(days=days),
            Membership.expires_at <= now,
        )
    if segment is CampaignSegment.NEVER_POSTED:
        posted = exists().where(
            ActivityEvent.planet_id == planet.id, ActivityEvent.user_id == Membership.user_id
        )
        return base.where(active, not_(posted))
    if segment is CampaignSegment.MOST_ACTIVE:
        since = (now - timedelta(days=days)).date()
        total = (
            select(ActivityWeek.user_id, func.sum(ActivityWeek.total).label("total"))
            .where(ActivityWeek.planet_id == planet.id, ActivityWeek.week_start >= since)
            .group_by(ActivityWeek.user_id)
            .order_by(func.sum(ActivityWeek.total).desc(), ActivityWeek.user_id)
            .limit(MOST_ACTIVE_LIMIT)
            .subquery()
        )
        return base.join(total, total.c.user_id == Membership.user_id).where(active)
    if segment is CampaignSegment.REFERRAL:
        return base.where(active, _paid_with(planet, Payment.referrer_id.is_not(None)))
    return base.where(active, _paid_with(planet, Payment.coupon_id.is_not(None)))


def segment_page(planet, segment, days, now, after: int | None = None):
    """([(Membership, User)], next cursor id or None), by membership id."""
    ids = segment_select(planet, segment, days, now).subquery()
    statement = (
        select(Membership, User)
        .join(ids, ids.c.id == Membership.id)
        .join(User, User.id == Membership.user_id)
        .order_by(Membership.id)
        .limit(PAGE_SIZE + 1)
    )
    if after is not None:
        statement = statement.where(Membership.id > after)
    rows = db.session.execute(statement).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1][0].id if more else None)


def segment_count(planet, segment, days, now) -> int:
    ids = segment_select(planet, segment, days, now).subquery()
    return db.session.scalar(select(func.count()).select_from(ids))


def segment_rows_for_csv(planet, segment, days, now, batch: int = 1000):
    """Every (Membership, User) of the segment, a batch at a time (bounded memory)."""
    after = None
    while True:
        ids = segment_select(planet, segment, days, now).subquery()
        statement = (
            select(Membership, User)
            .join(ids, ids.c.id == Membership.id)
            .join(User, User.id == Membership.user_id)
            .order_by(Membership.id)
            .limit(batch)
        )
        if after is not None:
            statement = statement.where(Membership.id > after)
        rows = db.session.execute(statement).all()
        if not rows:
            return
        yield from rows
        after = rows[-1][0].id


# ---------------------------------------------------------------- campaigns


def create_campaign(
    planet: Planet,
    actor,
    segment: CampaignSegment,
    days: int,
    subject: str,
    body: str,
    percent: int | None,
    now: datetime,
) -> Campaign:
    """Fix the recipients, make the coupon (renewal segments), and queue the sending."""
    policy.require(actor, policy.Action.SEND_CAMPAIGN, planet)
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise ServiceError(_l("Write a subject and a message."))
    if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        raise ServiceError(
            _l("At most %(s)s characters for the subject and %(b)s for the message.",
               s=SUBJECT_MAX, b=BODY_MAX)
        )  # fmt: skip
    if percent is not None and (segment not in RENEWAL_SEGMENTS or percent not in COUPON_PERCENTS):
        raise ServiceError(_l("A coupon goes with a renewal campaign, at an offered discount."))
    recent = db.session.scalar(
        select(Campaign.id).where(
            Campaign.planet_id == planet.id,
            Campaign.segment == segment,
            Campaign.subject == subject,
            Campaign.created_at >= now - RESEND_GUARD,
        )
    )
    if recent is not None:
        raise Conflict(_l("This campaign was just sent; it is not sent twice."))
    members = segment_select(planet, segment, days, now).subquery()
    count = db.session.scalar(select(func.count()).select_from(members))
    if not count:
        raise Conflict(_l("Nobody is in this segment: there is no one to send it to."))
    campaign = Campaign(
        planet_id=planet.id, author_id=actor.id, segment=segment, days=days,
        subject=subject, body=body, recipients=count, created_at=now,
    )  # fmt: skip
    if percent is not None:
        coupon = pricing.create_coupon(
            planet, actor, code="", kind=CouponKind.PERCENT, value=percent,
            max_uses=count, expires_at=now + timedelta(days=COUPON_DAYS),
        )  # fmt: skip
        campaign.coupon_id = coupon.id
    db.session.add(campaign)
    db.session.flush()
    user_ids = db.session.scalars(select(members.c.user_id)).all()
    db.session.execute(
        CampaignRecipient.__table__.insert(),
        [
            {"campaign_id": campaign.id, "user_id": uid, "token": secrets.token_hex(16)}
            for uid in user_ids
        ],
    )
    jobs.defer("campaigns.send", campaign_id=campaign.id)
    return campaign


@jobs.handler("campaigns.send")
def send_campaign(campaign_id: int, **_ignored) -> int:
    """Notify every recipient not yet sent, a batch at a time; a re-run sends nobody twice
    (the notification's dedupe key, and sent_at)."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return 0
    planet = db.session.get(Planet, campaign.planet_id)
    author = db.session.get(User, campaign.author_id)
    sent = 0
    while True:
        batch = db.session.scalars(
            select(CampaignRecipient)
            .where(
                CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.sent_at.is_(None)
            )
            .order_by(CampaignRecipient.id)
            .limit(SEND_BATCH)
        ).all()
        if not batch:
            break
        notifications.notify_many(
            Kind.CAMPAIGN,
            [
                notifications.Notice(
                    r.user_id,
                    f"campaign:{campaign.id}:{r.user_id}",
                    planet=planet,
                    actor=author,
                    data={
                        "title": campaign.subject,
                        "body": campaign.body,
                        "link": external_url("payments.campaign_link", token=r.token),
                    },
                )
                for r in batch
            ],
        )
        now = utcnow()
        db.session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id.in_([r.id for r in batch]))
            .values(sent_at=now)
        )
        sent += len(batch)
        jobs.commit()
    if campaign.sent_at is None:
        campaign.sent_at = utcnow()
        jobs.commit()
    return sent


def open_link(token: str) -> str | None:
    """The page a campaign link leads to (the planet's checkout for a renewal campaign, with
    its coupon; else the planet), noting the first visit in a transaction of its own (the GET's
    own is read-only). None for an unknown token."""
    row = db.session.execute(
        select(CampaignRecipient.id, Campaign.planet_id, Campaign.segment, Campaign.coupon_id)
        .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
        .where(CampaignRecipient.token == token[:32])
    ).first()
    if row is None:
        return None
    with Session(bind=db.engine) as session, session.begin():
        session.execute(
            update(CampaignRecipient)
            .where(CampaignRecipient.id == row.id, CampaignRecipient.opened_at.is_(None))
            .values(opened_at=utcnow())
        )
    planet = db.session.get(Planet, row.planet_id)
    if row.segment in RENEWAL_SEGMENTS:
        values = {"slug": planet.slug, "renew": 1}
        if row.coupon_id:
            values["coupon"] = db.session.get(pricing.Coupon, row.coupon_id).code
        return external_url("payments.checkout", **values)
    return external_url("content.timeline", slug=planet.slug)


@dataclass
class Funnel:
    sent: int
    opened: int
    renewed: int


def funnel(campaign: Campaign) -> Funnel:
    renewed = exists().where(
        Payment.planet_id == campaign.planet_id,
        Payment.user_id == CampaignRecipient.user_id,
        Payment.status.in_(PAID_STATUSES),
        Payment.paid_at >= campaign.created_at,
    )
    sent, opened, paid = db.session.execute(
        select(
            func.count(CampaignRecipient.sent_at),
            func.count(CampaignRecipient.opened_at),
            func.coalesce(func.sum(_as_int(renewed)), 0),
        ).where(CampaignRecipient.campaign_id == campaign.id)
    ).one()
    return Funnel(int(sent), int(opened), int(paid))


def _as_int(condition):
    return case((condition, literal(1)), else_=literal(0))


def campaigns_of(planet: Planet, limit: int = 20) -> list[Campaign]:
    return db.session.scalars(
        select(Campaign)
        .where(Campaign.planet_id == planet.id)
        .order_by(Campaign.id.desc())
        .limit(limit)
    ).all()


def campaign_of(planet: Planet, campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.planet_id != planet.id:
        raise NotFound(_l("No such campaign."))
    return campaign
