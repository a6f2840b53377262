"""What every content write shares: asking the policy, checking the planet, counters, reports."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from planet import policy
from planet.content.models import Report, ReportStatus, Topic, TopicKind
from planet.content.services.text import render_topic_body
from planet.errors import NotFound
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.policy import Action


def require(user, action: Action, planet: Planet, target=None) -> None:
    """The policy's answer as planet.errors.Refused (in requests, tasks and the CLI alike)."""
    policy.require(user, action, planet, target)


def check_same_planet(planet: Planet, *objects) -> None:
    """NotFound unless every object exists and belongs to `planet`."""
    for obj in objects:
        if obj is None or obj.planet_id != planet.id:
            raise NotFound(_l("We could not find that."))


def bump(model, object_id: int, **deltas: int) -> None:
    """Add `deltas` to counters in SQL, so concurrent requests do not lose increments."""
    values = {name: getattr(model, name) + delta for name, delta in deltas.items()}
    db.session.execute(
        update(model)
        .where(model.id == object_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def close_reports(user, condition, status: ReportStatus) -> None:
    """Close the open reports matching `condition` (their content was handled)."""
    db.session.execute(
        update(Report)
        .where(condition, Report.status == ReportStatus.OPEN)
        .values(status=status, resolved_by_id=user.id, resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def deletable(planet: Planet, user, item) -> bool:
    """Check `item` is in `planet` and `user` may delete it; False when it is already deleted
    (deleting twice changes nothing)."""
    check_same_planet(planet, item)
    require(user, Action.DELETE_CONTENT, planet, item)
    return item.deleted_at is None


def add_topic(planet: Planet, author, kind: TopicKind, body: str, now, **fields) -> Topic:
    """A new topic (a post or a question), out of the feed, its body rendered; flushed, so it
    has an id."""
    topic = Topic(
        planet_id=planet.id,
        author_id=author.id,
        kind=kind,
        body=body,
        body_html=render_topic_body(planet, body),
        in_feed=False,
        feed_at=now,
        created_at=now,
        **fields,
    )
    db.session.add(topic)
    db.session.flush()
    return topic
