"""Recorded activity: what members did, once per thing, with weekly per-member aggregates.

Job handlers for content and membership events live here too; they flush, and the job runner
(workers.relay, or the inline runner) commits each handler's work.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import session
from sqlalchemy import select

from planet import jobs
from planet.content.models import Answer, Comment, Topic
from planet.dbutil import insert_ignore, upsert_add
from planet.engagement.clock import local_day, week_start
from planet.engagement.insights import health
from planet.engagement.insights.models import (
    ActivityEvent,
    ActivityKind,
    ActivityWeek,
    FunnelSource,
    FunnelStage,
    FunnelVisit,
    MembershipChange,
)
from planet.engagement.points.services import award_for_rule
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet

_COLUMN = {
    ActivityKind.TOPIC: "topics",
    ActivityKind.QUESTION: "topics",
    ActivityKind.ANSWER: "answers",
    ActivityKind.COMMENT: "comments",
    ActivityKind.CHECKIN: "other",
    ActivityKind.HOMEWORK: "other",
}


def record_activity(
    planet_id: int, user_id: int, kind: ActivityKind, ref: int, at: datetime | None = None
) -> bool:
    """Record one action (idempotent by planet, kind, ref); True when new."""
    at = at or utcnow()
    written = insert_ignore(
        ActivityEvent,
        dict(planet_id=planet_id, user_id=user_id, kind=kind, ref=ref, occurred_at=at),
        ["planet_id", "kind", "ref"],
    )
    if written:
        planet = db.session.get(Planet, planet_id)
        upsert_add(
            ActivityWeek,
            dict(
                planet_id=planet_id, week_start=week_start(local_day(planet, at)), user_id=user_id
            ),
            {_COLUMN[kind]: 1, "total": 1},
        )
        db.session.flush()
    return written


def record_membership_change(planet_id: int, user_id: int, kind: str, at=None) -> None:
    db.session.add(
        MembershipChange(
            planet_id=planet_id, user_id=user_id, kind=kind, occurred_at=at or utcnow()
        )
    )
    db.session.flush()


# ---------------------------------------------------------------- job handlers


def _credit(planet_id: int, user_id: int, kind: ActivityKind, item, rule: str | None = None):
    """Record a member's activity on `item` (a topic, answer or comment: its id and creation
    time), and award the points of `rule` for it when one applies; both once per item."""
    record_activity(planet_id, user_id, kind, item.id, item.created_at)
    if rule is not None:
        award_for_rule(planet_id, user_id, rule, item.id, item.created_at)


@jobs.handler("engagement.topic_created")
def on_topic_created(topic_id: int, **_ignored) -> None:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.deleted_at is not None:
        return
    kind = ActivityKind.QUESTION if topic.is_question else ActivityKind.TOPIC
    rule = None if topic.is_question else "topic"
    _credit(topic.planet_id, topic.author_id, kind, topic, rule)


@jobs.handler("engagement.question_asked")
def on_question_asked(topic_id: int, **_ignored) -> None:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.deleted_at is not None:
        return
    _credit(topic.planet_id, topic.author_id, ActivityKind.QUESTION, topic)


@jobs.handler("engagement.question_answered")
def on_question_answered(topic_id: int, **_ignored) -> None:
    answer = db.session.scalar(select(Answer).where(Answer.topic_id == topic_id))
    topic = db.session.get(Topic, topic_id)
    if answer is None or topic is None:
        return
    _credit(topic.planet_id, answer.author_id, ActivityKind.ANSWER, answer, "answer")


@jobs.handler("engagement.comment_created")
def on_comment_created(comment_id: int, **_ignored) -> None:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None:
        return
    _credit(comment.planet_id, comment.author_id, ActivityKind.COMMENT, comment, "comment")


def award_essence(topic_id: int) -> bool:
    """Points for a topic made essence (once per topic, even if toggled again)."""
    topic = db.session.get(Topic, topic_id)
    if topic is None or not topic.is_essence:
        return False
    return award_for_rule(topic.planet_id, topic.author_id, "essence", topic.id)


@jobs.handler("content.topic_essence_set")
def on_topic_essence_set(topic_id: int, **_ignored) -> None:
    award_essence(topic_id)


@jobs.handler("engagement.member_joined")
def on_member_joined(planet_id: int, user_id: int, **_ignored) -> None:
    record_membership_change(planet_id, user_id, "joined")


@jobs.handler("members.renewed")
def on_member_renewed(planet_id: int, user_id: int, **_ignored) -> None:
    record_membership_change(planet_id, user_id, "renewed")


@jobs.handler("members.ended")
def on_member_ended(planet_id: int, user_id: int, status: str = "ended", **_ignored) -> None:
    record_membership_change(planet_id, user_id, str(status)[:16])


@jobs.handler("payments.referral_joined")
def on_referral_joined(planet_id: int, referrer_id: int, user_id: int, **_ignored) -> None:
    """'Brought a new member': points to the referrer, once per new member."""
    award_for_rule(planet_id, referrer_id, "referral", user_id)


# ---------------------------------------------------------------- join funnel attribution

_SOURCE_KEY = "join_source"
ATTRIBUTION_WINDOW = timedelta(days=30)


def remember_join_source(planet_id: int, source) -> None:
    """Keep where this browser came from to a planet's landing page (referral link or the
    discover page), in its session cookie, so its checkout is attributed to the same source.
    A later direct visit does not erase it (the last non-direct source wins)."""
    source = FunnelSource(source)
    if source is not FunnelSource.DIRECT:
        session[_SOURCE_KEY] = [planet_id, source.value]


def remembered_join_source(planet_id: int) -> str | None:
    value = session.get(_SOURCE_KEY)
    if isinstance(value, list) and len(value) == 2 and value[0] == planet_id:
        return value[1] if value[1] in FunnelSource.__members__.values() else None
    return None


def _checkout_source(planet_id: int, user_id: int, at: datetime) -> FunnelSource:
    """The source this member's checkout was counted under (within the window), else direct."""
    day = local_day(db.session.get(Planet, planet_id), at)
    source = db.session.scalar(
        select(FunnelVisit.source)
        .where(
            FunnelVisit.planet_id == planet_id,
            FunnelVisit.stage == FunnelStage.CHECKOUT,
            FunnelVisit.day >= day - ATTRIBUTION_WINDOW,
            FunnelVisit.visitor_key == health.visitor_key(user_id, None, None),
        )
        .order_by(FunnelVisit.day.desc())
        .limit(1)
    )
    return FunnelSource(source) if source else FunnelSource.DIRECT


def _record_funnel(planet_id: int, user_id: int, stage, source: FunnelSource) -> None:
    health.record_funnel_event(planet_id, stage, source, health.visitor_key(user_id, None, None))


@jobs.handler("payments.checkout_started")
def on_checkout_started(
    planet_id: int, user_id: int, referred: bool = False, source: str | None = None, **_ignored
) -> None:
    if referred:
        chosen = FunnelSource.REFERRAL
    else:
        chosen = FunnelSource(source) if source in set(FunnelSource) else FunnelSource.DIRECT
    _record_funnel(planet_id, user_id, FunnelStage.CHECKOUT, chosen)


@jobs.handler("payments.join_paid")
def on_join_paid(planet_id: int, user_id: int, referred: bool = False, **_ignored) -> None:
    source = FunnelSource.REFERRAL if referred else _checkout_source(planet_id, user_id, utcnow())
    _record_funnel(planet_id, user_id, FunnelStage.PAID, source)
