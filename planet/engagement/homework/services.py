"""Homework (作业): the owner or a guest posts an assignment with a due date; members hand in;
the owner or a guest grades (score and comment) and may feature excellent work."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from planet import jobs, policy
from planet.engagement.columns import clean_title
from planet.engagement.homework.models import Assignment, Submission
from planet.engagement.insights.activity import record_activity
from planet.engagement.insights.models import ActivityKind
from planet.engagement.points.services import award_points, point_values
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.text import render_markdown

BODY_MAX = 20000
COMMENT_MAX = 2000
MAX_LATE_DAYS = 60


def post_assignment(
    planet: Planet,
    actor,
    title: str,
    body: str,
    due_at: datetime,
    late_days: int = 0,
    now: datetime | None = None,
) -> Assignment:
    policy.require(actor, policy.Action.POST_HOMEWORK, planet)
    now = now or utcnow()
    title = clean_title(title, _l("An assignment needs a title."))
    if len(body or "") > BODY_MAX:
        raise ServiceError(_l("The text is too long."))
    if due_at is None or due_at <= now:
        raise ServiceError(_l("The due date must be in the future."))
    if late_days is None or not 0 <= late_days <= MAX_LATE_DAYS:
        raise ServiceError(_l("Late hand-ins may be accepted for 0 to 60 days."))
    assignment = Assignment(
        planet_id=planet.id,
        author_id=actor.id,
        title=title,
        body=body or "",
        body_html=render_markdown(body or ""),
        due_at=due_at,
        closes_at=due_at + timedelta(days=late_days),
    )
    db.session.add(assignment)
    db.session.flush()
    jobs.defer("engagement.assignment_posted", assignment_id=assignment.id)
    return assignment


def submission_of(assignment: Assignment, user_id: int) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(
            Submission.assignment_id == assignment.id, Submission.user_id == user_id
        )
    )


def hand_in(
    planet: Planet, assignment: Assignment, user, body: str, now: datetime | None = None
) -> Submission:
    policy.require(user, policy.Action.SUBMIT_HOMEWORK, planet)
    now = now or utcnow()
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Your hand-in is empty."))
    if len(body) > BODY_MAX:
        raise ServiceError(_l("The text is too long."))
    if now > assignment.closes_at:
        raise ServiceError(_l("This assignment is closed; hand-ins are no longer accepted."))
    if submission_of(assignment, user.id) is not None:
        raise Conflict(_l("You have already handed in this assignment."))
    submission = Submission(
        assignment_id=assignment.id,
        planet_id=planet.id,
        user_id=user.id,
        body=body,
        body_html=render_markdown(body),
        is_late=now > assignment.due_at,
        created_at=now,
    )
    db.session.add(submission)
    db.session.flush()
    db.session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id)
        .values(submission_count=Assignment.submission_count + 1)
        .execution_options(synchronize_session=False)
    )
    record_activity(planet.id, user.id, ActivityKind.HOMEWORK, submission.id, now)
    return submission


def grade(
    planet: Planet,
    submission: Submission,
    actor,
    score: int,
    comment: str,
    featured: bool = False,
    now: datetime | None = None,
) -> Submission:
    """Grade (or re-grade) a hand-in. Points by score are awarded once, on the first grade."""
    policy.require(actor, policy.Action.GRADE_HOMEWORK, planet)
    if score is None or not 0 <= score <= 100:
        raise ServiceError(_l("The score must be between 0 and 100."))
    if len(comment or "") > COMMENT_MAX:
        raise ServiceError(_l("The comment may have at most 2000 characters."))
    now = now or utcnow()
    first = submission.graded_at is None
    submission.score = score
    submission.grade_comment = (comment or "").strip()
    submission.graded_by = actor.id
    submission.graded_at = now
    submission.is_featured = bool(featured)
    db.session.flush()
    if first:
        per_100 = point_values(planet.id)["homework_per_100"]
        award_points(
            planet.id,
            submission.user_id,
            "homework",
            per_100 * score // 100,
            f"homework:{submission.id}",
            now,
        )
        jobs.defer("engagement.homework_graded", submission_id=submission.id)
    return submission


def list_assignments(planet: Planet, after: int | None = None, limit: int = 20):
    query = (
        select(Assignment)
        .where(Assignment.planet_id == planet.id)
        .options(joinedload(Assignment.author))
    )
    if after is not None:
        query = query.where(Assignment.id < after)
    rows = db.session.scalars(query.order_by(Assignment.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def list_submissions(
    assignment: Assignment, featured_only: bool = False, after: int | None = None, limit: int = 30
):
    query = (
        select(Submission)
        .where(Submission.assignment_id == assignment.id)
        .options(joinedload(Submission.user))
    )
    if featured_only:
        query = query.where(Submission.is_featured.is_(True))
    if after is not None:
        query = query.where(Submission.id < after)
    rows = db.session.scalars(query.order_by(Submission.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def my_grades(planet: Planet, user_id: int, limit: int = 50):
    return db.session.execute(
        select(Submission, Assignment)
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(Submission.planet_id == planet.id, Submission.user_id == user_id)
        .order_by(Submission.id.desc())
        .limit(limit)
    ).all()
