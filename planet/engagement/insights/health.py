"""Community health for owners, computed from recorded events (ActivityEvent and its weekly
per-member aggregate ActivityWeek, membership changes, funnel visits), and the join funnel."""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, exists, func, literal, or_, select, true
from sqlalchemy.orm import joinedload

from planet.accounts.models import User
from planet.content.models import PaidStatus, Topic, TopicKind
from planet.dbutil import insert_ignore, upsert_add
from planet.engagement.clock import local_day, week_start
from planet.engagement.insights.models import (
    ActivityWeek,
    FunnelDay,
    FunnelSource,
    FunnelStage,
    FunnelVisit,
    MembershipChange,
)
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet

log = logging.getLogger(__name__)
COOLING_DROP = 0.5
COOLING_MIN_BASELINE = 8
"""The top decile must have done at least this much in the baseline for an alert to mean much."""
UNANSWERED_AFTER = timedelta(hours=48)
CHURN_MIN_MEMBERS = 10
"""Fewer members than this over a period (at its start plus joined) and churn is not shown."""
ENDED = (
    MembershipStatus.EXPIRED,
    MembershipStatus.LEFT,
    MembershipStatus.REMOVED,
    MembershipStatus.REFUNDED,
    MembershipStatus.BANNED,
)


def current_week(planet: Planet, now: datetime) -> date:
    return week_start(local_day(planet, now))


def weekly_active(planet: Planet, now: datetime, weeks: int = 12) -> list[tuple[date, int]]:
    """Members with at least one recorded action, per week (oldest first, this week last)."""
    this_week = current_week(planet, now)
    first = this_week - timedelta(weeks=weeks - 1)
    rows = db.session.execute(
        select(ActivityWeek.week_start, func.count(ActivityWeek.user_id))
        .where(
            ActivityWeek.planet_id == planet.id,
            ActivityWeek.week_start >= first,
        )  # a row exists only once its member did something (total > 0): index-only scan
        .group_by(ActivityWeek.week_start)
    ).all()
    counts = {row[0]: row[1] for row in rows}
    return [
        (first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0))
        for i in range(weeks)
    ]


KINDS = ("topics", "answers", "comments", "other", "total")


def _totals(planet: Planet, start: date, end: date, columns: tuple[str, ...] = KINDS):
    """Per-member sums over weeks [start, end) as a subquery (only the `columns` asked for:
    fewer sums make a smaller hash aggregate)."""
    return (
        select(
            ActivityWeek.user_id.label("user_id"),
            *(func.sum(getattr(ActivityWeek, name)).label(name) for name in columns),
        )
        .where(
            ActivityWeek.planet_id == planet.id,
            ActivityWeek.week_start >= start,
            ActivityWeek.week_start < end,
        )
        .group_by(ActivityWeek.user_id)
        .subquery()
    )


def by_member(planet: Planet, now: datetime, weeks: int = 4, limit: int | None = 50):
    """Posts, answers, comments (and check-ins/homework) per member over the last `weeks`
    weeks including this one, most active first: [(User, topics, answers, comments, other,
    total)]."""
    end = current_week(planet, now) + timedelta(weeks=1)
    totals = _totals(planet, end - timedelta(weeks=weeks), end)
    # Rank the aggregate first and join users for the page only (not all active members).
    ranked = select(totals).order_by(totals.c.total.desc(), totals.c.user_id)
    if limit is not None:
        ranked = ranked.limit(limit)
    ranked = ranked.subquery()
    query = (
        select(User, *(ranked.c[name] for name in KINDS))
        .join(ranked, ranked.c.user_id == User.id)
        .order_by(ranked.c.total.desc(), User.id)
    )
    return db.session.execute(query).all()


def by_member_export(planet: Planet, now: datetime, weeks: int = 4):
    """Every member with activity in the period as (user id, display name, topics, answers,
    comments, other, total), in `by_member` order: plain rows for the CSV, no ORM objects."""
    end = current_week(planet, now) + timedelta(weeks=1)
    totals = _totals(planet, end - timedelta(weeks=weeks), end)
    return db.session.execute(
        select(User.id, User.display_name, *(totals.c[name] for name in KINDS))
        .join(totals, totals.c.user_id == User.id)
        .order_by(totals.c.total.desc(), User.id)
    ).all()


def top_decile_share(planet: Planet, now: datetime, weeks: int = 4) -> dict:
    """Share of the period's activity that came from the most active 10% of members."""
    end = current_week(planet, now) + timedelta(weeks=1)
    totals = _totals(planet, end - timedelta(weeks=weeks), end, ("total",))
    top_n = max(1, math.ceil(planet.member_count * 0.1))
    ranked = select(
        totals.c.total, func.row_number().over(order_by=totals.c.total.desc()).label("rank")
    ).subquery()
    overall, top = db.session.execute(  # one pass: all of it, and the top_n largest
        select(
            func.coalesce(func.sum(ranked.c.total), 0),
            func.coalesce(func.sum(case((ranked.c.rank <= top_n, ranked.c.total), else_=0)), 0),
        )
    ).one()
    overall, top = int(overall or 0), int(top or 0)
    return {
        "top_members": top_n,
        "top_activity": top,
        "all_activity": overall,
        "share": (top / overall) if overall else 0.0,
    }


@dataclass
class CoolingReport:
    alert: bool
    baseline_total: int
    recent_total: int
    group_size: int
    quiet: list = field(default_factory=list)
    """[(User, baseline, recent)] for top-decile members whose own activity halved."""
    baseline_weeks: tuple[date, date] | None = None
    recent_weeks: tuple[date, date] | None = None

    @property
    def ratio(self) -> float:
        return self.recent_total / self.baseline_total if self.baseline_total else 1.0


def cooling(planet: Planet, now: datetime, window_weeks: int = 4, limit: int = 200):
    """Evaporative cooling: the members who were the top decile in the four weeks before the
    last four complete weeks; alert when their activity in the last four fell by half. Names
    (up to `limit`) the members of that group whose own activity halved, most active first."""
    this_week = current_week(planet, now)
    recent_start = this_week - timedelta(weeks=window_weeks)
    baseline_start = recent_start - timedelta(weeks=window_weeks)
    group_size = max(1, math.ceil(planet.member_count * 0.1))
    # One pass over the eight weeks: each member's baseline and recent sums side by side.
    in_recent = ActivityWeek.week_start >= recent_start
    per_member = (
        select(
            ActivityWeek.user_id.label("user_id"),
            func.sum(case((in_recent, 0), else_=ActivityWeek.total)).label("base"),
            func.sum(case((in_recent, ActivityWeek.total), else_=0)).label("recent"),
        )
        .where(
            ActivityWeek.planet_id == planet.id,
            ActivityWeek.week_start >= baseline_start,
            ActivityWeek.week_start < this_week,
        )
        .group_by(ActivityWeek.user_id)
        .subquery()
    )
    top = (
        select(per_member)
        .where(per_member.c.base > 0)
        .order_by(per_member.c.base.desc(), per_member.c.user_id)
        .limit(group_size)
        .cte("cooling_top")
    )
    sums = select(
        func.coalesce(func.sum(top.c.base), 0).label("base"),
        func.coalesce(func.sum(top.c.recent), 0).label("recent"),
    ).subquery()
    quiet = (
        select(top)
        .where(top.c.recent <= top.c.base * COOLING_DROP)
        .order_by(top.c.base.desc(), top.c.user_id)
        .limit(limit)
        .subquery()
    )
    rows = db.session.execute(  # the group's sums, with its quiet members (if any) beside
        select(sums.c.base, sums.c.recent, User, quiet.c.base, quiet.c.recent)
        .select_from(sums)
        .outerjoin(quiet, true())
        .outerjoin(User, User.id == quiet.c.user_id)
        .order_by(quiet.c.base.desc(), quiet.c.user_id)
    ).all()
    baseline_total, recent_sum = int(rows[0][0]), int(rows[0][1])
    quiet_rows = [(user, base, last) for _, _, user, base, last in rows if user is not None]
    alert = baseline_total >= COOLING_MIN_BASELINE and recent_sum <= baseline_total * COOLING_DROP
    return CoolingReport(
        alert=alert,
        baseline_total=baseline_total,
        recent_total=recent_sum,
        group_size=group_size,
        quiet=[(user, int(base), int(last)) for user, base, last in quiet_rows],
        baseline_weeks=(baseline_start, recent_start - timedelta(days=1)),
        recent_weeks=(recent_start, this_week - timedelta(days=1)),
    )


def unanswered_questions(planet: Planet, now: datetime, limit: int = 50):
    """Questions still unanswered 48 hours after they were asked, oldest first."""
    return db.session.scalars(
        select(Topic)
        .where(
            Topic.planet_id == planet.id,
            Topic.kind == TopicKind.QUESTION,
            Topic.in_feed.is_(False),
            Topic.answered_at.is_(None),
            Topic.deleted_at.is_(None),
            or_(Topic.paid_status.is_(None), Topic.paid_status == PaidStatus.WAITING),
            Topic.created_at < now - UNANSWERED_AFTER,
        )
        .options(joinedload(Topic.author), joinedload(Topic.addressee))
        .order_by(Topic.created_at, Topic.id)
        .limit(limit)
    ).all()


def membership_changes(planet: Planet, since: datetime, until: datetime | None = None) -> dict:
    """{kind: count} of the membership changes recorded in [since, until): joined, renewed,
    expired, refunded, left, removed, banned."""
    statement = select(MembershipChange.kind, func.count(MembershipChange.id)).where(
        MembershipChange.planet_id == planet.id, MembershipChange.occurred_at >= since
    )
    if until is not None:
        statement = statement.where(MembershipChange.occurred_at < until)
    return dict(db.session.execute(statement.group_by(MembershipChange.kind)).all())


def retention(planet: Planet, now: datetime, days: int = 90) -> dict:
    """Renewal rate and churn over the last `days` days.

    churn = memberships that ended in the period / the members who could have ended one: those
    at the start of the period and those who joined during it (the owner is not counted, and a
    new planet, with nobody at the start, still gets a sensible rate). Under
    CHURN_MIN_MEMBERS such members one ending says nothing, so churn is None ("too few").
    renewal rate = renewals / (renewals + expiries) in the period.
    """
    start = now - timedelta(days=days)
    ended_rows = db.session.execute(
        select(Membership.status, func.count(Membership.id))
        .where(
            Membership.planet_id == planet.id,
            Membership.status.in_(ENDED),
            Membership.ended_at >= start,
        )
        .group_by(Membership.status)
    ).all()
    ended = {str(status): count for status, count in ended_rows}
    changes = membership_changes(planet, start)
    ended_total = sum(ended.values())
    joined = changes.get("joined", 0)
    renewed = changes.get("renewed", 0)
    expired = ended.get(str(MembershipStatus.EXPIRED), 0)
    members = planet.member_count - 1  # the owner never leaves
    at_start = max(members - joined + ended_total, 0)
    exposed = at_start + joined
    return {
        "days": days,
        "joined": joined,
        "renewed": renewed,
        "expired": expired,
        "ended": ended_total,
        "ended_by_status": ended,
        "at_start": at_start,
        "exposed": exposed,
        "churn": (ended_total / exposed) if exposed >= CHURN_MIN_MEMBERS else None,
        "renewal_rate": (renewed / (renewed + expired)) if (renewed + expired) else None,
    }


def _activity_of_active_members(planet: Planet, now: datetime, weeks: int):
    """(activity column, the active-membership conditions, the totals subquery)."""
    end = current_week(planet, now) + timedelta(weeks=1)
    totals = _totals(planet, end - timedelta(weeks=weeks), end, ("total",))
    conditions = (
        Membership.planet_id == planet.id,
        Membership.active_at(now),
    )
    return func.coalesce(totals.c.total, 0), conditions, totals


def least_active(
    planet: Planet,
    now: datetime,
    weeks: int = 4,
    after: tuple[int, int] | None = None,
    limit: int = 50,
):
    """Active members with the least recorded activity over the period, least first (keyset
    by (activity, membership id)). A person reviews this list; nothing is done automatically.

    Members with no activity at all come first: they are read through the memberships'
    (planet_id, status, id) index with an anti-join, so while they last a page costs no
    aggregate over the period; the aggregate serves only the pages after them."""
    activity, conditions, totals = _activity_of_active_members(planet, now, weeks)
    rows = []
    if after is None or after[0] == 0:
        end = current_week(planet, now) + timedelta(weeks=1)
        idle = (
            select(Membership, literal(0).label("activity"))
            .where(
                *conditions,
                ~exists().where(
                    ActivityWeek.planet_id == planet.id,
                    ActivityWeek.user_id == Membership.user_id,
                    ActivityWeek.week_start >= end - timedelta(weeks=weeks),
                    ActivityWeek.week_start < end,
                ),
            )
            .options(joinedload(Membership.user))
            .order_by(Membership.id)
            .limit(limit + 1)
        )
        if after is not None:
            idle = idle.where(Membership.id > after[1])
        rows = db.session.execute(idle).all()
    if len(rows) <= limit:
        if after is None or after[0] == 0:  # the idle ones are all listed: the rest follow
            later = activity > 0
        else:
            later = or_(activity > after[0], and_(activity == after[0], Membership.id > after[1]))
        query = (
            select(Membership, activity.label("activity"))
            .outerjoin(totals, totals.c.user_id == Membership.user_id)
            .where(*conditions, later)
            .options(joinedload(Membership.user))
            .order_by(activity, Membership.id)
            .limit(limit + 1 - len(rows))
        )
        rows += db.session.execute(query).all()
    page = rows[:limit]
    cursor = (int(page[-1].activity), page[-1].Membership.id) if len(rows) > limit else None
    return page, cursor


def least_active_export(planet: Planet, now: datetime, weeks: int = 4):
    """Every active member as (user id, display name, activity), in `least_active` order, in
    one query (for the CSV: paging by 1,000 re-aggregated the period once per page)."""
    activity, conditions, totals = _activity_of_active_members(planet, now, weeks)
    return db.session.execute(
        select(User.id, User.display_name, activity.label("activity"))
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(totals, totals.c.user_id == Membership.user_id)
        .where(*conditions)
        .order_by(activity, Membership.id)
    ).all()


# ---------------------------------------------------------------- the join funnel


def funnel_source(ref: str | None, referrer: str | None, discover_path: str = "/discover"):
    if ref:
        return FunnelSource.REFERRAL
    if referrer and discover_path in referrer:
        return FunnelSource.DISCOVER
    return FunnelSource.DIRECT


def visitor_key(user_id: int | None, remote_addr: str | None, user_agent: str | None) -> str:
    if user_id:
        return f"u{user_id}"
    raw = f"{remote_addr or ''}|{user_agent or ''}"
    return "a" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def record_funnel_event(
    planet_id: int, stage, source, visitor_key: str, at: datetime | None = None
) -> bool:
    """Count a visitor at a funnel stage (once per planet, stage, local day and visitor).
    Called for checkout started / paid; landing views go through landing_views.py."""
    at = at or utcnow()
    planet = db.session.get(Planet, planet_id)
    if planet is None:
        return False
    written = record_funnel_visit(
        db.session, planet_id, stage, source, visitor_key, local_day(planet, at)
    )
    if written:
        db.session.flush()
    return written


def record_funnel_visit(
    session, planet_id: int, stage, source, visitor_key: str, day: date
) -> bool:
    """Count a visitor at a stage on a planet-local day in `session` (once per planet, stage,
    day and visitor): the dedupe row, and the day's count. True when the visitor was new."""
    stage, source = FunnelStage(stage), FunnelSource(source)
    written = insert_ignore(
        FunnelVisit,
        dict(
            planet_id=planet_id, stage=stage, source=source, day=day, visitor_key=visitor_key[:64]
        ),
        ["planet_id", "stage", "day", "visitor_key"],
        session,
    )
    if written:
        upsert_add(
            FunnelDay,
            dict(planet_id=planet_id, day=day, source=source, stage=stage),
            dict(count=1),
            session,
        )
    return written


def funnel(planet: Planet, now: datetime, days: int = 30) -> dict:
    """{source: {stage: visitors}} over the last `days` local days, with conversion rates."""
    first = local_day(planet, now) - timedelta(days=days - 1)
    rows = db.session.execute(
        select(FunnelDay.source, FunnelDay.stage, func.sum(FunnelDay.count))
        .where(FunnelDay.planet_id == planet.id, FunnelDay.day >= first)
        .group_by(FunnelDay.source, FunnelDay.stage)
    ).all()
    table = {source: {stage: 0 for stage in FunnelStage} for source in FunnelSource}
    for source, stage, count in rows:
        table[FunnelSource(source)][FunnelStage(stage)] = int(count)
    return table


def landing_seen_by_others(planet_id: int, owner_id: int) -> bool:
    """Has anyone but the owner opened the planet's landing page (the owner's invite checklist:
    the unique (planet, stage, day, visitor) index serves it)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    FunnelVisit.planet_id == planet_id,
                    FunnelVisit.stage == FunnelStage.VIEW,
                    FunnelVisit.visitor_key != visitor_key(owner_id, None, None),
                )
            )
        )
    )
