"""Questions and answers: a member asks the owner or a guest; the one asked answers once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet import jobs
from planet.accounts.models import User
from planet.content.models import Answer, Topic, TopicKind
from planet.content.services import paid_questions as paid
from planet.content.services.common import add_topic, check_same_planet, require
from planet.content.services.feed import enter_feed, leave_feed, sync_hashtags
from planet.content.services.text import (
    ANSWER_MAX,
    BODY_MAX,
    active_now,
    clean_text,
    render_topic_body,
)
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role
from planet.policy import Action
from planet.text import extract_hashtags


def question_addressees(planet: Planet) -> list[tuple[Membership, User]]:
    """The owner and the planet's guests who are active now (the people one may ask)."""
    rows = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.planet_id == planet.id,
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role.in_([Role.OWNER, Role.GUEST]),
        )
        .order_by(Membership.role.desc(), Membership.id)
    ).all()
    return [(membership, user) for membership, user in active_now(rows)]


def ask_question(
    planet: Planet, asker, *, addressee_id: int, body: str, anonymous: bool = False
) -> Topic:
    """A member asks the owner or a guest; it stays out of the feed until answered."""
    require(asker, Action.ASK_QUESTION, planet)
    if not isinstance(addressee_id, int):
        raise ServiceError(_l("Choose whom to ask."))
    addressee = db.session.scalar(
        select(Membership).where(
            Membership.planet_id == planet.id, Membership.user_id == addressee_id
        )
    )
    if addressee is None:
        raise ServiceError(_l("Questions can only be asked to the owner or a guest."))
    require(asker, Action.ASK_QUESTION, planet, addressee)
    if paid.offer_of(planet.id, addressee_id) is not None:
        raise ServiceError(_l("This person answers paid questions only: ask with the price."))
    if anonymous and not planet.anonymous_questions:
        raise ServiceError(_l("Anonymous questions are switched off in this planet."))
    body = clean_text(body, BODY_MAX)
    now = utcnow()
    topic = add_topic(
        planet,
        asker,
        TopicKind.QUESTION,
        body,
        now,
        title="",
        addressee_id=addressee_id,
        is_anonymous=bool(anonymous),
    )
    sync_hashtags(topic, extract_hashtags(body))
    jobs.defer("notifications.question_asked", topic_id=topic.id)
    jobs.defer("engagement.question_asked", topic_id=topic.id)
    return topic


def answer_question(planet: Planet, user, topic: Topic, body: str) -> Answer:
    """Only the one asked answers, once; the question then enters the feed (a private answer
    to a paid question stays out of it: it is for the asker and those who paid to peek)."""
    check_same_planet(planet, topic)
    if topic.paid_status is not None:
        topic = paid.lock_question(topic.id)  # the answer and the deadline refund exclude
    require(user, Action.ANSWER_QUESTION, planet, topic)
    body = clean_text(body, ANSWER_MAX)
    now = utcnow()
    paid.take_answer(topic, now)
    answer = Answer(
        topic_id=topic.id,
        author_id=user.id,
        body=body,
        body_html=render_topic_body(planet, body),
        created_at=now,
    )
    db.session.add(answer)
    topic.answered_at = now
    if not topic.answer_private:
        enter_feed(planet, topic, now)
    db.session.flush()
    jobs.defer("notifications.question_answered", topic_id=topic.id)
    jobs.defer("engagement.question_answered", topic_id=topic.id)
    return answer


def _check_answer(planet: Planet, topic: Topic, answer: Answer | None) -> None:
    check_same_planet(planet, topic)
    if answer is None or answer.topic_id != topic.id or topic.deleted_at is not None:
        raise NotFound(_l("We could not find that."))


def edit_answer(planet: Planet, user, topic: Topic, answer: Answer, body: str) -> Answer:
    _check_answer(planet, topic, answer)
    require(user, Action.EDIT_CONTENT, planet, answer)
    answer.body = clean_text(body, ANSWER_MAX)
    answer.body_html = render_topic_body(planet, answer.body)
    answer.updated_at = utcnow()
    db.session.flush()
    return answer


def delete_answer(planet: Planet, user, topic: Topic, answer: Answer) -> Topic:
    """Withdraw an answer: the question is open again and leaves the feed. A paid question's
    answer stays: it was paid for (and its money is split)."""
    _check_answer(planet, topic, answer)
    require(user, Action.DELETE_CONTENT, planet, answer)
    if topic.paid_status is not None:
        raise Conflict(_l("A paid question's answer cannot be withdrawn; edit it instead."))
    db.session.delete(answer)
    topic.answered_at = None
    topic.pinned_at = None
    leave_feed(planet, topic)
    db.session.flush()
    return topic
