"""What waits for the viewer in a planet: questions to answer, reports to handle, homework to
grade, members to win back before their paid time ends. The planet header shows each count on
its tab (planet/planets/header.py).

A count is asked only of someone the policy lets act on it (the one asked answers, moderators
handle reports, the owner and guests grade), so a member's page runs none of these queries.
Each is one COUNT over an index range, capped at CAP + 1 rows: "99+" never counts a table.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from sqlalchemy import Integer, bindparam, func, or_, select

from planet import policy
from planet.content.models import PaidStatus, Report, ReportStatus, Topic, TopicKind
from planet.engagement.homework.models import Submission
from planet.extensions import db
from planet.members.models import ApplicationStatus, JoinApplication
from planet.models import UTCDateTime, utcnow
from planet.moderation.models import HeldPost, HeldStatus
from planet.planets.models import Membership, Planet, ending_between
from planet.policy import Action
from planet.web import shortcache

CAP = 99
WIN_BACK_WINDOW = timedelta(days=30)
"""payments/win_back.py:WINDOW (planet does not import payments)."""


def _capped(statement):
    """COUNT(*) of the first CAP + 1 rows of `statement` (a SELECT of ids)."""
    return select(func.count()).select_from(statement.limit(CAP + 1).subquery())


@functools.cache
def _statements():
    """Built once: a reused statement keeps its compiled form in SQLAlchemy's cache."""
    planet_id = bindparam("planet_id", type_=Integer)
    questions = select(Topic.id).where(
        Topic.planet_id == planet_id,
        Topic.addressee_id == bindparam("user_id", type_=Integer),
        Topic.answered_at.is_(None),
        Topic.kind == TopicKind.QUESTION,
        Topic.deleted_at.is_(None),
        # A paid question waits for its answer only once paid, and until it is refunded.
        or_(Topic.paid_status.is_(None), Topic.paid_status == PaidStatus.WAITING),
    )
    reports = select(Report.id).where(
        Report.planet_id == planet_id, Report.status == ReportStatus.OPEN
    )
    homework = select(Submission.id).where(
        Submission.planet_id == planet_id, Submission.graded_at.is_(None)
    )
    held = select(HeldPost.id).where(
        HeldPost.planet_id == planet_id, HeldPost.status == HeldStatus.HELD
    )
    applications = select(JoinApplication.id).where(
        JoinApplication.planet_id == planet_id,
        JoinApplication.status == ApplicationStatus.PENDING,
    )
    # Members whose paid time ends within 30 days (payments/win_back.py:expiring_where).
    expiring = select(Membership.id).where(
        ending_between(
            planet_id,
            bindparam("now", type_=UTCDateTime()),
            bindparam("soon", type_=UTCDateTime()),
        )
    )
    return {
        "content.questions": (Action.ANSWER_QUESTION, _capped(questions)),
        "content.reports": (Action.MODERATE, _capped(reports)),
        "engagement.homework": (Action.GRADE_HOMEWORK, _capped(homework)),
        "moderation.queue": (Action.MODERATE, _capped(held)),
        "members.applications": (Action.REVIEW_APPLICATIONS, _capped(applications)),
        "payments.win_back_page": (Action.VIEW_WIN_BACK, _capped(expiring)),
    }


def waiting_counts(planet: Planet, user, standing, endpoints) -> dict[str, int]:
    """{tab endpoint: how many wait for `user`} for the tabs in `endpoints` whose action the
    policy allows this viewer (`standing`: theirs, already known); zero counts left out. All
    the viewer's counts come back in one statement."""
    statements = _statements()
    asked = [(name, statements[name][1]) for name in _asked(planet, user, standing, endpoints)]
    if not asked:
        return {}
    now = utcnow()
    params = {
        "planet_id": planet.id,
        "user_id": standing.user_id,
        "now": now,
        "soon": now + WIN_BACK_WINDOW,
    }
    row = db.session.execute(
        select(*(statement.scalar_subquery() for _, statement in asked)), params
    ).one()
    return {endpoint: count for (endpoint, _), count in zip(asked, row, strict=True) if count}


def _asked(planet: Planet, user, standing, endpoints) -> tuple[str, ...]:
    """The tabs whose waiting items this viewer may act on: the same for every viewer of one
    standing class in one version of the planet, so kept per process under both (as the
    header's tabs are, planet/planets/header.py:allowed_tabs)."""

    def decide() -> tuple[str, ...]:
        return tuple(
            endpoint
            for endpoint, (action, _) in _statements().items()
            if endpoint in endpoints and policy.decide_with_standing(standing, user, action, planet)
        )

    return shortcache.cached(
        "planet_waiting_tabs",
        planet.id,
        decide,
        planet.content_version,
        policy.standing_class(user, planet),
    )


def shown(count: int) -> str:
    """A count as a badge shows it: up to CAP, then "99+"."""
    return str(count) if count <= CAP else f"{CAP}+"
