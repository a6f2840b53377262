"""The sweep that publishes scheduled drafts at their time (a `Periodic` in workers/schedule.py
calls `publish_due(now)` every minute).

Due drafts are found through the (state, publish_at) index and claimed one at a time with a
row lock (FOR UPDATE SKIP LOCKED on PostgreSQL); the topic is created and the draft marked
published in the claim's transaction, which commits before the next claim. A second sweep
running at the same moment skips the locked row, and once it commits the row is no longer
scheduled: each draft becomes one topic, whatever the retries. The topic's jobs
(notifications, announcement mail, points) are deferred by `create_topic` and dispatched after
that commit, so they happen at publication, never at writing.

A draft whose time came but which cannot be published (its author lost the right to post, a
planet dissolved, an image gone) is marked failed with the reason in its author's language, and
stays for the author to see on their drafts page.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from planet import jobs, policy
from planet.accounts.models import User
from planet.content.drafts import services
from planet.content.drafts.models import FAILURE_MAX, Draft, DraftState
from planet.errors import ServiceError
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.members.expiry import claim
from planet.models import utcnow
from planet.planets.models import Planet

log = logging.getLogger(__name__)
LIMIT = 500
"""Drafts published by one sweep at most (the next minute's sweep takes the rest)."""


def due(now: datetime, passed: set[int]):
    statement = (
        select(Draft)
        .where(Draft.state == DraftState.SCHEDULED, Draft.publish_at <= now)
        .order_by(Draft.publish_at, Draft.id)
        .limit(1)
    )
    if passed:
        statement = statement.where(Draft.id.not_in(passed))
    return claim(statement, Draft)


def publish_due(now: datetime | None = None, limit: int = LIMIT) -> dict:
    """Publish every scheduled draft due at `now`, each once, one transaction each."""
    now = now or utcnow()
    summary = {"published": 0, "failed": 0, "errors": 0}
    passed: set[int] = set()
    while len(passed) < limit:
        draft = db.session.scalars(due(now, passed)).first()
        if draft is None:
            break
        passed.add(draft.id)
        summary[_publish_claimed(draft, now)] += 1
    db.session.rollback()
    return summary


def _publish_claimed(draft: Draft, now: datetime) -> str:
    draft_id = draft.id
    planet = db.session.get(Planet, draft.planet_id)
    author = db.session.get(User, draft.author_id)
    try:
        # Rendering links (#hashtags) needs a request context, as on the web.
        with current_app.test_request_context("/", base_url=current_app.config["BASE_URL"]):
            policy.forget_standing(planet.id, author.id)  # asked afresh, as of now
            services.publish(planet, author, draft, now)
            jobs.commit()
    except ServiceError as error:
        db.session.rollback()
        with in_recipient_language(author):
            reason = str(error.reason)
        return "failed" if _mark_failed(draft_id, reason[:FAILURE_MAX]) else "errors"
    except Exception:
        db.session.rollback()
        log.exception("scheduled draft %s could not be published; retried next sweep", draft_id)
        return "errors"
    return "published"


def _mark_failed(draft_id: int, reason: str) -> bool:
    """Record why the draft could not be published (if it is still scheduled)."""
    statement = select(Draft).where(Draft.id == draft_id, Draft.state == DraftState.SCHEDULED)
    draft = db.session.scalars(claim(statement, Draft)).first()
    if draft is None:
        db.session.rollback()
        return False
    draft.state, draft.failure, draft.updated_at = DraftState.FAILED, reason, utcnow()
    jobs.commit()
    return True
