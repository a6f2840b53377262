"""Paid questions (付费提问) and peeks (偷看), the money side.

A question to someone with a price is stored unpaid (planet/content/services/paid_questions.py)
with a `Payment` of kind QUESTION; a peek at a private answer is a `Payment` of kind PEEK. Both
are paid through the same card form and confirmation as a membership and take effect only from
the verified provider event (`apply_question_success`, called by payments/grant.py):

- QUESTION: the money goes into escrow (one ledger row) and the question waits for its answer
  until the deadline (the owner's `question_deadline_hours`, from the payment).
- Answered in time: the "payments.question_answered" job releases the escrow into the split
  (platform fee, the guest's share set by the owner, partners, the owner's rest), pending
  through the refund window from the answer.
- Declined, or not answered by the deadline (`sweep_question_deadlines`): refunded in full
  through payments/refunds.py with one request key per question, so exactly one refund
  happens whatever retries, kills and event orders.
- PEEK: the split is written at once and the answer opens to the payer.

Which of answer and refund happens is decided under the question's row lock, by its
`paid_status` (WAITING -> ANSWERED, or WAITING -> EXPIRED/DECLINED): never both.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from payments import ledger, states
from payments.models import Payment, PaymentKind, PaymentStatus, PlanetPricing
from payments.pricing import check_currency, check_price, partners_of, pricing_of
from payments.refunds import refund_at_provider, refund_in_full
from planet import jobs, policy
from planet.content.models import PaidStatus, Topic
from planet.content.services import paid_questions as paid
from planet.content.services.paid_questions import check_question_price
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.members.expiry import claim
from planet.models import utcnow
from planet.planets.models import Planet

log = logging.getLogger(__name__)
UNFINISHED = (PaymentStatus.CREATED, PaymentStatus.FAILED, PaymentStatus.REQUIRES_ACTION)


def request_key(topic_id: int) -> str:
    """The one refund a paid question may have (Refund.request_key, the provider's key)."""
    return f"question-{topic_id}"


def deadline_for(planet: Planet, paid_at: datetime) -> datetime:
    return paid_at + timedelta(hours=pricing_of(planet).question_deadline_hours)


# ---------------------------------------------------------------- the owner's settings


def update_question_settings(
    planet: Planet, actor, *, deadline_hours: int, guest_share_bps: int, peek_price: int
) -> PlanetPricing:
    """The owner's rules for paid questions: hours to answer, a guest's share, the peek price.
    A deadline that would already have passed (0 or fewer hours) is refused."""
    policy.require(actor, policy.Action.MANAGE_MONEY, planet)
    if not isinstance(deadline_hours, int) or not 1 <= deadline_hours <= 720:
        raise ServiceError(_l("The time to answer is between 1 and 720 hours."))
    if not isinstance(guest_share_bps, int) or not 0 <= guest_share_bps <= 10000:
        raise ServiceError(_l("A guest's share is between 0% and 100%."))
    check_question_price(peek_price)
    pricing = db.session.scalar(select(PlanetPricing).where(PlanetPricing.planet_id == planet.id))
    if pricing is None:
        pricing = PlanetPricing(planet_id=planet.id)
        db.session.add(pricing)
    pricing.question_deadline_hours = deadline_hours
    pricing.guest_question_share_bps = guest_share_bps
    pricing.peek_price = peek_price
    db.session.flush()
    return pricing


def peek_price(planet: Planet) -> int:
    return pricing_of(planet).peek_price


# ---------------------------------------------------------------- paying


def _new_payment(planet: Planet, user, kind: PaymentKind, topic: Topic, amount: int, now):
    check_currency(planet.currency)
    check_price(amount)
    payment = Payment(
        planet_id=planet.id,
        user_id=user.id,
        kind=kind,
        status=PaymentStatus.CREATED,
        amount=amount,
        list_price=amount,
        currency=planet.currency,
        topic_id=topic.id,
        attempts=0,
        refunded_amount=0,
        created_at=now,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def _payment_of(topic_id: int, user_id: int, kind: PaymentKind) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(
            Payment.topic_id == topic_id, Payment.user_id == user_id, Payment.kind == kind
        )
    )


def ask_with_payment(
    planet: Planet,
    user,
    *,
    addressee_id,
    body: str,
    answer_private: bool = False,
    anonymous: bool = False,
    expected_amount: int | None = None,
    now: datetime | None = None,
) -> Payment:
    """Store the question (unpaid) and its payment at the answerer's price; nothing is charged
    yet. `expected_amount` is the price the page showed: a changed price is refused."""
    from payments.grant import billing_customer

    now = now or utcnow()
    offer = paid.priced_offer(planet, addressee_id)
    if expected_amount is not None and expected_amount != offer.price:
        raise Conflict(_l("The price has changed. Please reload the page and check it."))
    billing_customer(user.id, lock=True)
    topic = paid.ask_paid_question(
        planet, user, offer, body=body, answer_private=answer_private, anonymous=anonymous
    )
    return _new_payment(planet, user, PaymentKind.QUESTION, topic, offer.price, now)


def payment_to_finish(planet: Planet, user, topic: Topic) -> Payment:
    """The asker's unpaid question: its payment, to pay (again, after a declined card). A
    question already paid (or being paid) is refused: nobody pays twice for one question."""
    from payments.grant import billing_customer

    if topic.planet_id != planet.id or topic.author_id != user.id or topic.paid_status is None:
        raise NotFound(_l("We could not find that question."))
    billing_customer(user.id, lock=True)
    payment = _payment_of(topic.id, user.id, PaymentKind.QUESTION)
    if topic.paid_status is not PaidStatus.UNPAID or payment is None:
        raise Conflict(_l("This question is already paid for."))
    if payment.status not in UNFINISHED:
        raise Conflict(_l("This question is already paid for."))
    return payment


def start_peek(planet: Planet, user, topic: Topic, now: datetime | None = None) -> Payment:
    """A payment to read someone else's private answer (the planet's peek price)."""
    from payments.grant import billing_customer

    now = now or utcnow()
    if topic.planet_id != planet.id:
        raise NotFound(_l("We could not find that question."))
    billing_customer(user.id, lock=True)
    policy.require(user, policy.Action.PEEK_ANSWER, planet, paid.answer_access(topic, user.id))
    existing = _payment_of(topic.id, user.id, PaymentKind.PEEK)
    if existing is not None:
        if existing.status in UNFINISHED:
            return existing
        raise Conflict(_l("You have already paid to read this answer."))
    return _new_payment(planet, user, PaymentKind.PEEK, topic, peek_price(planet), now)


# ---------------------------------------------------------------- the verified payment


def apply_question_success(payment: Payment, now: datetime) -> str:
    """A QUESTION or PEEK payment verified (the caller holds the payment's lock and has moved
    it to SUCCEEDED): hold the question's money in escrow and start its deadline, or open the
    answer and split the peek. Anything the payment can no longer buy is refunded in full."""
    planet = db.session.get(Planet, payment.planet_id)
    topic = db.session.get(Topic, payment.topic_id) if payment.topic_id else None
    if payment.kind is PaymentKind.QUESTION:
        ledger.write_escrow(payment, now)
        if topic is not None:
            topic = paid.lock_question(topic.id)
            if topic.deleted_at is None and paid.mark_paid(topic, deadline_for(planet, now)):
                return "question paid"
    elif topic is not None and paid.grant_peek(topic, payment.user_id):
        ledger.write_payment_split(payment, _split(planet, topic, payment.amount), now)
        return "answer opened"
    else:
        ledger.write_escrow(payment, now)  # nothing to split: held, then refunded below
    payment.duplicate = True
    db.session.flush()
    refund_at_provider(
        payment,
        payment.amount,
        reason="duplicate",
        actor_id=None,
        now=now,
        request_key=request_key(payment.topic_id or 0),
    )
    return "duplicate refunded"


def _split(planet: Planet, topic: Topic, gross: int) -> list[ledger.Share]:
    pricing = pricing_of(planet)
    return ledger.question_split(
        gross,
        fee_bps=ledger.fee_bps(),
        answerer_id=topic.addressee_id,
        owner_id=planet.owner_id,
        guest_share_bps=pricing.guest_question_share_bps,
        partners=[(p.user_id, p.share_bps) for p in partners_of(planet)],
    )


def question_payment(topic: Topic) -> Payment | None:
    return _payment_of(topic.id, topic.author_id, PaymentKind.QUESTION)


# ---------------------------------------------------------------- answered: the split


@jobs.handler("payments.question_answered")
def question_answered(topic_id: int, **_ignored) -> str:
    """Task body: release an answered question's escrow into the split, once, and commit."""
    outcome = settle_answered(topic_id)
    jobs.commit()
    return outcome


def settle_answered(topic_id: int, now: datetime | None = None) -> str:
    now = now or utcnow()
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.paid_status is not PaidStatus.ANSWERED:
        return "not answered"
    payment = question_payment(topic)
    if payment is None:
        return "no payment"
    payment = states.lock(payment)
    if payment.status is not PaymentStatus.SUCCEEDED or ledger.released(payment):
        return "already settled"
    planet = db.session.get(Planet, topic.planet_id)
    shares = _split(planet, topic, payment.amount)
    ledger.write_escrow_release(payment, shares, topic.answered_at or now, now)
    return "settled"


# ---------------------------------------------------------------- declined, overdue: refunds


def decline(planet: Planet, user, topic: Topic, now: datetime | None = None) -> Topic:
    """The one asked declines a paid question: it closes and is refunded in full."""
    now = now or utcnow()
    if topic.planet_id != planet.id:
        raise NotFound(_l("We could not find that question."))
    topic = paid.lock_question(topic.id)
    policy.require(user, policy.Action.DECLINE_QUESTION, planet, topic)
    _close_and_refund(topic, PaidStatus.DECLINED, now)
    return topic


def _close_and_refund(topic: Topic, status: PaidStatus, now: datetime) -> None:
    payment = question_payment(topic)
    paid.close_unanswered(topic, status, now)
    if payment is None:  # a paid question always has its payment; never refund blind
        raise ServiceError(_l("We could not find the payment for this question."), 500)
    refund_in_full(payment, reason=str(status), request_key=request_key(topic.id), now=now)


def overdue(now: datetime):
    """Questions waiting past their deadline, in (paid_status, due_at) index order."""
    return (
        select(Topic)
        .where(Topic.paid_status == PaidStatus.WAITING, Topic.due_at <= now)
        .order_by(Topic.due_at, Topic.id)
    )


def sweep_question_deadlines(
    now: datetime | None = None, limit: int | None = None, progress=None, **_
) -> dict:
    """The periodic job: refund every paid question not answered by its deadline, each in its
    own transaction under its row lock (claimed with FOR UPDATE SKIP LOCKED, so a second
    sweep or worker takes other rows). A provider failure leaves that question for the next
    run. Costs one index probe per question due, whatever the number of questions."""
    now = now or utcnow()
    report = {"refunded": 0, "failed": 0}
    failed: list[int] = []
    while limit is None or report["refunded"] + report["failed"] < limit:
        statement = overdue(now).limit(1)
        if failed:
            statement = statement.where(Topic.id.not_in(failed))
        topic = db.session.scalar(claim(statement, Topic))
        if topic is None:
            break
        try:
            _close_and_refund(topic, PaidStatus.EXPIRED, now)
            jobs.commit()
            report["refunded"] += 1
            if progress:
                progress(1)
        except ServiceError as error:
            db.session.rollback()
            log.warning("paid question %s: refund failed, retried next run: %s", topic.id, error)
            failed.append(topic.id)
            report["failed"] += 1
    db.session.rollback()
    return report
