"""Curating the FAQ (promote, summarise, hide) and counting the questions it deflected."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from planet import policy
from planet.content.faq.models import SUMMARY_MAX, FaqDeflection, FaqEntry
from planet.content.faq.queries import answered
from planet.content.models import Topic
from planet.dbutil import insert_ignore
from planet.errors import NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet


def faq_topic(planet: Planet, topic_id: int) -> Topic:
    """The answered question `topic_id` of this planet that may be in its FAQ (else 404)."""
    topic = db.session.scalar(db.select(Topic).where(Topic.id == topic_id, answered(planet.id)))
    if topic is None:
        raise NotFound(_l("This question is not in the FAQ."))
    return topic


def _settings(planet: Planet, actor, topic_id: int) -> FaqEntry:
    policy.require(actor, policy.Action.MANAGE_FAQ, planet)
    topic = faq_topic(planet, topic_id)
    entry = db.session.get(FaqEntry, topic.id) or FaqEntry(topic_id=topic.id, planet_id=planet.id)
    entry.updated_by_id, entry.updated_at = actor.id, utcnow()
    db.session.add(entry)
    return entry


def set_promoted(planet: Planet, actor, topic_id: int, promoted: bool) -> FaqEntry:
    entry = _settings(planet, actor, topic_id)
    entry.promoted = promoted
    if promoted:
        entry.hidden = False
    return entry


def set_hidden(planet: Planet, actor, topic_id: int, hidden: bool) -> FaqEntry:
    entry = _settings(planet, actor, topic_id)
    entry.hidden = hidden
    if hidden:
        entry.promoted = False
    return entry


def set_summary(planet: Planet, actor, topic_id: int, summary: str) -> FaqEntry:
    """The entry's summary shown instead of the answer's first lines (empty: the answer's)."""
    summary = " ".join((summary or "").split())
    if len(summary) > SUMMARY_MAX:
        raise ServiceError(
            _l("A summary may have at most %(n)s characters.", n=SUMMARY_MAX), field="summary"
        )
    entry = _settings(planet, actor, topic_id)
    entry.summary = summary
    return entry


def record_deflection(planet: Planet, user, topic_id: int) -> bool:
    """The member found their answer in `topic_id` instead of asking: counted once per member
    and answer (True when this is the first time)."""
    policy.require(user, policy.Action.ASK_QUESTION, planet)
    topic = faq_topic(planet, topic_id)
    values = {"planet_id": planet.id, "user_id": user.id, "topic_id": topic.id}
    return insert_ignore(FaqDeflection, values | {"created_at": utcnow()}, ["user_id", "topic_id"])
