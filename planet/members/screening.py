"""Join screening for free planets: the owner asks up to three questions, a newcomer's join is
a request with their answers, and the owner or an admin approves it (the membership is made
once, whoever clicks at the same time) or refuses it with a reason the applicant is told.
Every decision goes to the planet's audit list (planet/moderation)."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from planet import policy
from planet.accounts.models import User
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.members.models import ApplicationStatus, JoinApplication
from planet.members.services import check_rules_accepted, grant_membership
from planet.models import utcnow
from planet.moderation.services import record
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Planet
from planet.web.links import external_url

MAX_QUESTIONS = 3
QUESTION_MAX = 200
ANSWER_MAX = 500
REASON_MAX = 200


def questions_of(planet: Planet) -> list[str]:
    return [q for q in (planet.join_questions or "").splitlines() if q.strip()]


def screens(planet: Planet) -> bool:
    """Whether joining this planet is a request (free planets only)."""
    return bool(planet.join_approval) and planet.is_free


def set_screening(planet: Planet, actor, enabled: bool, raw_questions: str) -> None:
    policy.require(actor, policy.Action.EDIT_SETTINGS, planet)
    questions = [q.strip() for q in (raw_questions or "").splitlines() if q.strip()]
    if len(questions) > MAX_QUESTIONS:
        raise ServiceError(_l("At most %(n)s questions.", n=MAX_QUESTIONS))
    if any(len(q) > QUESTION_MAX for q in questions):
        raise ServiceError(_l("A question may have at most %(n)s characters.", n=QUESTION_MAX))
    if enabled and not planet.is_free:
        raise Conflict(_l("Only free planets screen newcomers: in a paid one, paying is joining."))
    planet.join_approval, planet.join_questions = bool(enabled), "\n".join(questions)
    record(planet, actor, "screening_set", "", "on" if enabled else "off")


def pending_of(planet: Planet, user_id: int) -> JoinApplication | None:
    return db.session.scalar(
        select(JoinApplication).where(
            JoinApplication.planet_id == planet.id,
            JoinApplication.user_id == user_id,
            JoinApplication.status == ApplicationStatus.PENDING,
        )
    )


def apply(planet: Planet, user, answers: list[str], *, rules_accepted: bool) -> JoinApplication:
    policy.require(user, policy.Action.JOIN, planet)
    if not screens(planet):
        raise Conflict(_l("This planet does not screen newcomers: join it directly."))
    check_rules_accepted(planet, rules_accepted)
    questions = questions_of(planet)
    answers = [(a or "").strip() for a in answers][: len(questions)]
    if len(answers) < len(questions) or any(not a for a in answers):
        raise ServiceError(_l("Answer every question."))
    if any(len(a) > ANSWER_MAX for a in answers):
        raise ServiceError(_l("An answer may have at most %(n)s characters.", n=ANSWER_MAX))
    if pending_of(planet, user.id) is not None:
        raise Conflict(_l("Your request is already waiting for a decision."))
    application = JoinApplication(
        planet_id=planet.id, user_id=user.id, status=ApplicationStatus.PENDING,
        answers=json.dumps(list(zip(questions, answers, strict=True)), ensure_ascii=False),
        created_at=utcnow(),
    )  # fmt: skip
    db.session.add(application)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("Your request is already waiting for a decision.")) from None
    return application


def withdraw(planet: Planet, user) -> None:
    application = pending_of(planet, user.id)
    if application is None:
        raise NotFound(_l("You have no request waiting here."))
    application.status = ApplicationStatus.WITHDRAWN


def queue(planet: Planet, limit: int = 100) -> list[tuple[JoinApplication, User]]:
    return db.session.execute(
        select(JoinApplication, User)
        .join(User, User.id == JoinApplication.user_id)
        .where(
            JoinApplication.planet_id == planet.id,
            JoinApplication.status == ApplicationStatus.PENDING,
        )
        .order_by(JoinApplication.id)
        .limit(limit)
    ).all()


def answers_of(application: JoinApplication) -> list[tuple[str, str]]:
    return [tuple(pair) for pair in json.loads(application.answers or "[]")]


def _locked(planet: Planet, application_id: int) -> JoinApplication:
    statement = select(JoinApplication).where(
        JoinApplication.id == application_id, JoinApplication.planet_id == planet.id
    )
    if db.engine.dialect.name == "postgresql":
        statement = statement.with_for_update()
    application = db.session.scalar(statement)
    if application is None:
        raise NotFound(_l("No such request."))
    db.session.refresh(application)
    if application.status is not ApplicationStatus.PENDING:
        raise Conflict(_l("This request was already decided."))
    return application


def approve(planet: Planet, actor, application_id: int) -> None:
    policy.require(actor, policy.Action.REVIEW_APPLICATIONS, planet)
    application = _locked(planet, application_id)
    _decide(application, actor, ApplicationStatus.APPROVED)
    grant_membership(planet, application.user_id, None)
    _tell(planet, application, Kind.JOIN_APPROVED, {})
    record(planet, actor, "application_approved", f"member:{application.user_id}")


def refuse(planet: Planet, actor, application_id: int, reason: str) -> None:
    policy.require(actor, policy.Action.REVIEW_APPLICATIONS, planet)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Tell the applicant why."))
    if len(reason) > REASON_MAX:
        raise ServiceError(_l("A reason may have at most %(n)s characters.", n=REASON_MAX))
    application = _locked(planet, application_id)
    _decide(application, actor, ApplicationStatus.REFUSED)
    application.reason = reason
    _tell(planet, application, Kind.JOIN_REFUSED, {"reason": reason})
    record(planet, actor, "application_refused", f"member:{application.user_id}", reason)


def _decide(application: JoinApplication, actor, status: ApplicationStatus) -> None:
    application.status, application.decided_by_id = status, actor.id
    application.decided_at = utcnow()


def _tell(planet: Planet, application: JoinApplication, kind: Kind, data: dict) -> None:
    data = {**data, "link": external_url("planets.landing", slug=planet.slug)}
    notifications.notify_many(
        kind,
        [notifications.Notice(application.user_id, f"{kind}:{application.id}", planet=planet,
                              data=data)],
    )  # fmt: skip
