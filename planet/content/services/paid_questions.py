"""Paid questions (付费提问), the content side: each answerer's offer (price and who may ask),
a paid question from asking to closing, private answers and peeks (偷看).

The money side (payments, the split, refunds, the deadline sweep) is `payments/questions.py`;
it calls these services. A paid question is a question topic with `paid_status`:
UNPAID (only the asker sees it) -> WAITING (a verified payment; deadline `due_at`) -> ANSWERED,
or EXPIRED / DECLINED (refunded, closed). Every change of `paid_status` happens under the
topic's row lock (`lock_question`), so an answer and a refund can never both happen.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet import jobs, policy
from planet.accounts.models import User
from planet.content.models import (
    AnswerPeek,
    Audience,
    PaidStatus,
    QuestionOffer,
    Topic,
    TopicKind,
)
from planet.content.services.common import add_topic, require
from planet.content.services.feed import sync_hashtags
from planet.content.services.text import BODY_MAX, clean_text
from planet.dbutil import insert_ignore
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role
from planet.policy import Action, AnswerAccess
from planet.text import extract_hashtags
from planet.web.forms import MAX_PRICE, max_price_text


def check_question_price(price) -> None:
    """A price for a question or a peek: a whole number of minor units, 1 up to the limit."""
    if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
        raise ServiceError(_l("A price must be more than zero."))
    if price > MAX_PRICE:
        raise ServiceError(_l("The price cannot exceed %(max)s.", max=max_price_text()))


# ---------------------------------------------------------------- offers


def offer_of(planet_id: int, user_id: int) -> QuestionOffer | None:
    return db.session.scalar(
        select(QuestionOffer).where(
            QuestionOffer.planet_id == planet_id, QuestionOffer.user_id == user_id
        )
    )


def offers(planet: Planet) -> list[tuple[QuestionOffer, User]]:
    """The priced offers of the owner and the guests active now (one query)."""
    rows = db.session.execute(
        select(QuestionOffer, User, Membership)
        .join(User, User.id == QuestionOffer.user_id)
        .join(
            Membership,
            (Membership.planet_id == QuestionOffer.planet_id)
            & (Membership.user_id == QuestionOffer.user_id),
        )
        .where(
            QuestionOffer.planet_id == planet.id,
            Membership.status == MembershipStatus.ACTIVE,
            Membership.role.in_([Role.OWNER, Role.GUEST]),
        )
        .order_by(Membership.role.desc(), Membership.id)
    ).all()
    now = utcnow()
    return [(offer, user) for offer, user, m in rows if m.is_entitled_at(now)]


def set_offer(planet: Planet, user, price: int | None, audience: Audience) -> QuestionOffer | None:
    """The owner or a guest sets their own price (None: questions to them are free again)."""
    require(user, Action.SET_QUESTION_PRICE, planet)
    offer = offer_of(planet.id, user.id)
    if price is None:
        if offer is not None:
            db.session.delete(offer)
            db.session.flush()
        return None
    check_question_price(price)
    audience = Audience(audience)
    if offer is None:
        offer = QuestionOffer(planet_id=planet.id, user_id=user.id, created_at=utcnow())
        db.session.add(offer)
    offer.price = price
    offer.audience = audience
    db.session.flush()
    return offer


def visitor_offers(planet: Planet) -> list[tuple[QuestionOffer, User]]:
    """The offers that take questions from visitors (the landing page shows them)."""
    return [(o, u) for o, u in offers(planet) if o.audience in (Audience.VISITORS, Audience.BOTH)]


def own_paid_questions(planet: Planet, user_id: int | None, limit: int = 20) -> list[Topic]:
    """A person's paid questions in this planet, newest first (a visitor's way back to them)."""
    if user_id is None:
        return []
    return list(
        db.session.scalars(
            select(Topic)
            .where(
                Topic.planet_id == planet.id,
                Topic.author_id == user_id,
                Topic.kind == TopicKind.QUESTION,
                Topic.paid_status.is_not(None),
                Topic.deleted_at.is_(None),
            )
            .order_by(Topic.id.desc())
            .limit(limit)
        )
    )


def priced_offer(planet: Planet, addressee_id) -> QuestionOffer:
    """The active answerer's priced offer (404 when there is none)."""
    offer = offer_of(planet.id, addressee_id) if isinstance(addressee_id, int) else None
    if offer is None or not any(o.id == offer.id for o, _user in offers(planet)):
        raise NotFound(_l("This person does not take paid questions here."))
    return offer


# ---------------------------------------------------------------- a paid question's life


def ask_paid_question(
    planet: Planet,
    asker,
    offer: QuestionOffer,
    *,
    body: str,
    answer_private: bool = False,
    anonymous: bool = False,
) -> Topic:
    """The question, not paid yet: only its asker sees it until the payment succeeds."""
    require(asker, Action.ASK_PAID_QUESTION, planet, offer)
    if anonymous and not planet.anonymous_questions:
        raise ServiceError(_l("Anonymous questions are switched off in this planet."))
    body = clean_text(body, BODY_MAX)
    topic = add_topic(
        planet,
        asker,
        TopicKind.QUESTION,
        body,
        utcnow(),
        title="",
        addressee_id=offer.user_id,
        is_anonymous=bool(anonymous),
        paid_status=PaidStatus.UNPAID,
        price=offer.price,
        answer_private=bool(answer_private),
    )
    sync_hashtags(topic, extract_hashtags(body))
    return topic


def lock_question(topic_id: int) -> Topic:
    """The paid question's row lock (held until commit), re-read."""
    topic = db.session.scalar(
        select(Topic)
        .where(Topic.id == topic_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if topic is None or topic.paid_status is None:
        raise NotFound(_l("We could not find that question."))
    return topic


def mark_paid(topic: Topic, due_at: datetime) -> bool:
    """UNPAID -> WAITING (the verified payment); tells the one asked. False if it was not
    waiting for its payment (a replayed event)."""
    if topic.paid_status is not PaidStatus.UNPAID:
        return False
    topic.paid_status = PaidStatus.WAITING
    topic.due_at = due_at
    db.session.flush()
    jobs.defer("notifications.question_asked", topic_id=topic.id)
    jobs.defer("engagement.question_asked", topic_id=topic.id)
    return True


def close_unanswered(topic: Topic, status: PaidStatus, now: datetime) -> None:
    """WAITING -> EXPIRED or DECLINED (under the topic's lock; the refund is the caller's)."""
    if status not in (PaidStatus.EXPIRED, PaidStatus.DECLINED):
        raise ValueError("a paid question closes as expired or declined")
    if topic.paid_status is not PaidStatus.WAITING:
        raise Conflict(_l("This question is no longer waiting for an answer."))
    topic.paid_status = status
    topic.updated_at = now
    db.session.flush()


def take_answer(topic: Topic, now: datetime) -> None:
    """Called by `answer_question` under the topic's lock: a paid question can be answered
    only while it waits and before its deadline; the split follows in a payments job."""
    if topic.paid_status is None:
        return
    if topic.paid_status is PaidStatus.WAITING and topic.due_at is not None and topic.due_at <= now:
        raise Conflict(_l("The deadline for this question has passed; it is being refunded."))
    if topic.paid_status is not PaidStatus.WAITING:
        require_open = {
            PaidStatus.UNPAID: _l("This question has not been paid for yet."),
            PaidStatus.ANSWERED: _l("This question has already been answered."),
        }
        raise Conflict(
            require_open.get(topic.paid_status, _l("This question was refunded and is closed."))
        )
    topic.paid_status = PaidStatus.ANSWERED
    jobs.defer("payments.question_answered", topic_id=topic.id)


# ---------------------------------------------------------------- private answers and peeks


def has_peeked(topic_id: int, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return (
        db.session.scalar(
            select(AnswerPeek.id).where(
                AnswerPeek.topic_id == topic_id, AnswerPeek.user_id == user_id
            )
        )
        is not None
    )


def answer_access(topic, user_id: int | None) -> AnswerAccess:
    """The policy's target for reading (or peeking at) this topic's answer."""
    private = getattr(topic, "answer_private", False)
    return AnswerAccess(topic, peeked=bool(private and has_peeked(topic.id, user_id)))


def hide_private_answers(planet: Planet, user, cards: list) -> list:
    """The cards as this viewer may see them: a private answer they may not read is removed
    (READ_ANSWER, with one query for their peeks among the cards)."""
    private = [c for c in cards if getattr(c, "answer_private", False) and c.answer is not None]
    if not private:
        return cards
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    peeked = set()
    if user_id is not None:
        peeked = set(
            db.session.scalars(
                select(AnswerPeek.topic_id).where(
                    AnswerPeek.user_id == user_id,
                    AnswerPeek.topic_id.in_([c.id for c in private]),
                )
            )
        )
    standing = policy.standing_of(user, planet)
    shown = []
    private_ids = {c.id for c in private}
    for card in cards:
        if card.id in private_ids:
            access = AnswerAccess(card, peeked=card.id in peeked)
            if not policy.decide_with_standing(standing, user, Action.READ_ANSWER, planet, access):
                card = card.without_answer()
        shown.append(card)
    return shown


def grant_peek(topic: Topic, user_id: int) -> bool:
    """The verified peek payment opens the answer to its payer, once."""
    return insert_ignore(
        AnswerPeek,
        {"topic_id": topic.id, "user_id": user_id, "created_at": utcnow()},
        ["topic_id", "user_id"],
    )
