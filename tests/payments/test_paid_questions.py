"""Paid questions (付费提问) and peeks (偷看), through the services, with the fake provider:
pay -> answer -> split; overdue -> one refund; declined -> refund; peek -> read; bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments import checkout, grant, ledger, questions, settlement
from payments.models import LedgerEntry, Party, Payment, PaymentStatus, PlanetPricing, Refund
from planet import policy
from planet.content.models import Audience, PaidStatus, Topic
from planet.content.services import paid_questions as paid
from planet.content.services import questions as qa
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Role
from planet.policy import Action, AnswerAccess
from tests.payments.test_checkout import Who

PRICE = 5000


@pytest.fixture
def world(make, provider):
    owner = make.user(name="Owner")
    planet = make.planet(owner, price_amount=10000, currency="cny")
    guest = make.user(name="Guest")
    make.member(planet, guest, role=Role.GUEST)
    member = make.user(name="Member")
    make.member(planet, member)
    visitor = make.user(name="Visitor")
    db.session.add(
        PlanetPricing(planet_id=planet.id, guest_question_share_bps=6000, peek_price=300)
    )
    db.session.commit()
    paid.set_offer(planet, Who(guest), PRICE, Audience.BOTH)
    paid.set_offer(planet, Who(owner), 8000, Audience.MEMBERS)
    db.session.commit()
    return type("World", (), locals())


def ask_and_pay(world, asker, to=None, private=False, token="tok_ok"):  # noqa: S107
    to = to or world.guest
    payment = questions.ask_with_payment(
        world.planet,
        Who(asker),
        addressee_id=to.id,
        body="How do I price a course?",
        answer_private=private,
    )
    db.session.commit()
    checkout.confirm_payment(payment, Who(asker), token)
    db.session.commit()
    return payment


def verified(payment):
    outcome = grant.sync_payment(payment)
    db.session.commit()
    return outcome


def ledger_rows(payment_id):
    return db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.payment_id == payment_id).order_by(LedgerEntry.id)
    ).all()


def total(payment_id):
    return sum(row.amount for row in ledger_rows(payment_id))


def provider_refunds(provider, payment):
    return [
        r for r in provider.refunds.values() if r["payment_intent"] == payment.provider_intent_id
    ]


def answer(world, topic_id, by=None, body="Charge what it is worth."):
    topic = db.session.get(Topic, topic_id)
    qa.answer_question(world.planet, Who(by or world.guest), topic, body)
    db.session.commit()
    return questions.question_answered(topic_id)


def test_pay_to_ask_then_answer_in_time_splits_the_money(world, provider):
    payment = ask_and_pay(world, world.member)
    topic = db.session.get(Topic, payment.topic_id)
    assert topic.paid_status is PaidStatus.UNPAID  # the browser's answer grants nothing
    assert not policy.may(Who(world.guest), Action.READ_TOPIC, world.planet, topic)

    assert verified(payment) == "question paid"
    assert verified(payment) == "already applied"
    topic = db.session.get(Topic, payment.topic_id)
    assert topic.paid_status is PaidStatus.WAITING
    hours = (topic.due_at - payment.paid_at).total_seconds() / 3600
    assert hours == 48  # the owner's default deadline
    assert [(r.party, r.amount) for r in ledger_rows(payment.id)] == [(Party.ESCROW, PRICE)]

    assert answer(world, topic.id) == "settled"
    assert questions.question_answered(topic.id) == "already settled"  # a re-run job
    rows = ledger_rows(payment.id)
    assert total(payment.id) == PRICE
    parts = {(r.party, r.user_id): r.amount for r in rows if r.party is not Party.ESCROW}
    platform = PRICE * 500 // 10000
    guest = (PRICE - platform) * 6000 // 10000
    assert parts == {
        (Party.PLATFORM, None): platform,
        (Party.GUEST, world.guest.id): guest,
        (Party.OWNER, world.owner.id): PRICE - platform - guest,
    }
    answered_at = db.session.get(Topic, topic.id).answered_at
    assert all(
        r.available_at == answered_at + ledger.refund_window()
        for r in rows
        if r.party is not Party.ESCROW
    )
    # Nothing settles inside the refund window; after it the split does, the escrow never.
    assert settlement.settle_due_earnings(answered_at + timedelta(hours=1)) == 0
    settled = settlement.settle_due_earnings(answered_at + ledger.refund_window())
    assert settled == 3
    # Exactly one settlement: the deadline sweep finds nothing to refund afterwards.
    later = topic.due_at + timedelta(hours=1)
    assert questions.sweep_question_deadlines(later)["refunded"] == 0
    assert provider_refunds(provider, payment) == []


def test_the_owner_answering_keeps_the_creator_part(world):
    payment = ask_and_pay(world, world.member, to=world.owner)
    verified(payment)
    answer(world, payment.topic_id, by=world.owner)
    parties = {r.party for r in ledger_rows(payment.id)}
    assert Party.GUEST not in parties
    assert total(payment.id) == 8000


def test_no_answer_by_the_deadline_refunds_once_and_changes_no_access(world, provider):
    payment = ask_and_pay(world, world.member)
    verified(payment)
    topic = db.session.get(Topic, payment.topic_id)
    before = db.session.scalars(
        select(Membership.status).where(Membership.planet_id == world.planet.id)
    ).all()

    assert questions.sweep_question_deadlines(topic.due_at - timedelta(seconds=1)) == {
        "refunded": 0,
        "failed": 0,
    }
    report = questions.sweep_question_deadlines(topic.due_at)
    assert report == {"refunded": 1, "failed": 0}
    assert questions.sweep_question_deadlines(topic.due_at + timedelta(days=1))["refunded"] == 0

    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.status is PaymentStatus.REFUNDED
    assert [r["amount"] for r in provider_refunds(provider, payment)] == [PRICE]
    assert total(payment.id) == 0
    assert db.session.get(Topic, topic.id).paid_status is PaidStatus.EXPIRED
    after = db.session.scalars(
        select(Membership.status).where(Membership.planet_id == world.planet.id)
    ).all()
    assert after == before and MembershipStatus.REFUNDED not in after
    assert policy.may(Who(world.member), Action.READ, world.planet)
    # The asker is told (through the money notice, with a link to the question).
    from planet.notifications.models import Notification

    notice = db.session.scalar(
        select(Notification)
        .where(Notification.user_id == world.member.id)
        .order_by(Notification.id.desc())
    )
    assert notice is not None and notice.kind == "refund_done"
    # Answering a refunded question: a clear 409, nothing written.
    with pytest.raises(ServiceError) as refused:
        qa.answer_question(world.planet, Who(world.guest), db.session.get(Topic, topic.id), "late")
    assert refused.value.status == 409
    db.session.rollback()
    assert db.session.get(Topic, topic.id).answered_at is None


def test_answering_after_the_deadline_before_the_sweep_is_refused(world):
    payment = ask_and_pay(world, world.member)
    verified(payment)
    topic = db.session.get(Topic, payment.topic_id)
    topic.due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Conflict):
        qa.answer_question(world.planet, Who(world.guest), topic, "Too late")
    db.session.rollback()
    assert questions.sweep_question_deadlines()["refunded"] == 1


def test_declined_question_is_refunded_in_full(world, provider):
    payment = ask_and_pay(world, world.member)
    verified(payment)
    topic = db.session.get(Topic, payment.topic_id)
    with pytest.raises(ServiceError):  # only the one asked declines
        questions.decline(world.planet, Who(world.owner), topic)
    db.session.rollback()
    questions.decline(world.planet, Who(world.guest), topic)
    db.session.commit()
    with pytest.raises(ServiceError) as twice:  # declining twice
        questions.decline(world.planet, Who(world.guest), db.session.get(Topic, topic.id))
    assert twice.value.status == 409
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).paid_status is PaidStatus.DECLINED
    assert [r["amount"] for r in provider_refunds(provider, payment)] == [PRICE]
    refund = db.session.scalar(select(Refund).where(Refund.payment_id == payment.id))
    assert refund.request_key == f"question-{topic.id}" and refund.reason == "declined"
    assert total(payment.id) == 0
    assert questions.sweep_question_deadlines(topic.due_at + timedelta(hours=1))["refunded"] == 0


def test_a_refund_killed_after_the_provider_call_is_not_repeated(world, provider):
    """The provider refunded, our transaction died: the re-run imports that refund."""
    payment = ask_and_pay(world, world.member)
    verified(payment)
    topic = db.session.get(Topic, payment.topic_id)
    # Run the refund and lose our transaction (as a killed worker would).
    questions._close_and_refund(
        questions.paid.lock_question(topic.id), PaidStatus.EXPIRED, topic.due_at
    )
    db.session.rollback()
    assert len(provider_refunds(provider, payment)) == 1
    assert db.session.scalar(select(func.count(Refund.id))) == 0
    assert questions.sweep_question_deadlines(topic.due_at)["refunded"] == 1
    db.session.expire_all()
    assert len(provider_refunds(provider, payment)) == 1
    assert db.session.get(Payment, payment.id).status is PaymentStatus.REFUNDED
    assert total(payment.id) == 0


def test_peek_pays_to_read_a_private_answer(world, make):
    payment = ask_and_pay(world, world.member, private=True)
    verified(payment)
    answer(world, payment.topic_id, body="PRIVATE-ANSWER")
    topic = db.session.get(Topic, payment.topic_id)
    assert not topic.in_feed  # a private answer never reaches the timeline
    reader = make.user()
    make.member(world.planet, reader)
    access = paid.answer_access(topic, reader.id)
    assert not policy.may(Who(reader), Action.READ_ANSWER, world.planet, access)
    assert policy.may(Who(world.member), Action.READ_ANSWER, world.planet, AnswerAccess(topic))

    peek = questions.start_peek(world.planet, Who(reader), topic)
    db.session.commit()
    assert peek.amount == 300
    again = questions.start_peek(world.planet, Who(reader), topic)  # an unpaid one: the same
    assert again.id == peek.id
    checkout.confirm_payment(peek, Who(reader), "tok_ok")
    db.session.commit()
    assert verified(peek) == "answer opened"
    access = paid.answer_access(db.session.get(Topic, topic.id), reader.id)
    assert policy.may(Who(reader), Action.READ_ANSWER, world.planet, access)
    assert total(peek.id) == 300
    assert {r.party for r in ledger_rows(peek.id)} == {Party.PLATFORM, Party.GUEST, Party.OWNER}
    with pytest.raises(ServiceError) as twice:  # paying twice for one peek
        questions.start_peek(world.planet, Who(reader), db.session.get(Topic, topic.id))
    assert twice.value.status == 409


def test_visitor_asks_when_allowed_and_sees_only_their_question(world):
    payment = ask_and_pay(world, world.visitor)
    verified(payment)
    topic = db.session.get(Topic, payment.topic_id)
    assert policy.may(Who(world.visitor), Action.READ_TOPIC, world.planet, topic)
    assert not policy.may(Who(world.visitor), Action.READ, world.planet)
    with pytest.raises(ServiceError) as refused:  # the owner takes members only
        questions.ask_with_payment(
            world.planet, Who(world.visitor), addressee_id=world.owner.id, body="Hi?"
        )
    assert refused.value.status == 403


@pytest.mark.parametrize("price", [0, -1, 10_000_001, 1.5, True])
def test_bad_prices_are_refused(world, price):
    with pytest.raises(ServiceError):
        paid.set_offer(world.planet, Who(world.guest), price, Audience.BOTH)
    db.session.rollback()
    assert paid.offer_of(world.planet.id, world.guest.id).price == PRICE


def test_members_cannot_set_a_price_and_free_asks_of_priced_people_are_refused(world):
    with pytest.raises(ServiceError):
        paid.set_offer(world.planet, Who(world.member), 100, Audience.BOTH)
    with pytest.raises(ServiceError):
        qa.ask_question(world.planet, Who(world.member), addressee_id=world.guest.id, body="Hi")


def test_paying_twice_for_one_question_is_refused(world):
    payment = ask_and_pay(world, world.member)
    topic = db.session.get(Topic, payment.topic_id)
    with pytest.raises(Conflict):  # being paid (the provider accepted it)
        questions.payment_to_finish(world.planet, Who(world.member), topic)
    verified(payment)
    with pytest.raises(Conflict):
        questions.payment_to_finish(world.planet, Who(world.member), topic)
    with pytest.raises(NotFound):
        questions.payment_to_finish(world.planet, Who(world.owner), topic)
    with pytest.raises(Conflict):  # the ordinary refund form does not apply
        from payments import refunds

        refunds.refund_payment(db.session.get(Payment, payment.id), Who(world.member))


def test_a_changed_price_is_refused(world):
    with pytest.raises(Conflict):
        questions.ask_with_payment(
            world.planet,
            Who(world.member),
            addressee_id=world.guest.id,
            body="Hi?",
            expected_amount=PRICE - 1,
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count(Topic.id))) == 0


def test_split_parts_add_up_for_random_cases():
    import random

    rng = random.Random(13)
    for _ in range(5000):
        gross = rng.randint(0, 10_000_000)
        partners = [(i, rng.randint(1, 3000)) for i in range(rng.randint(0, 3))]
        shares = ledger.question_split(
            gross,
            fee_bps=rng.randint(0, 2000),
            answerer_id=rng.choice([1, 2]),
            owner_id=1,
            guest_share_bps=rng.randint(0, 10000),
            partners=partners,
        )
        assert sum(s.amount for s in shares) == gross
        assert all(s.amount >= 0 for s in shares)


def test_only_paid_questions_still_waiting_count_for_the_answerer(world):
    """The Q&A tab's badge and the health page's unanswered list: a question not paid yet, or
    refunded, waits for nobody."""
    from planet.engagement.insights.health import unanswered_questions
    from planet.planets import inbox

    questions.ask_with_payment(world.planet, Who(world.member), addressee_id=world.guest.id,
                               body="Not paid")  # fmt: skip
    db.session.commit()
    waiting = ask_and_pay(world, world.member)
    verified(waiting)
    declined = ask_and_pay(world, world.visitor)
    verified(declined)
    questions.decline(world.planet, Who(world.guest), db.session.get(Topic, declined.topic_id))
    db.session.commit()
    guest = Who(world.guest)
    standing = policy.standing_of(guest, world.planet)
    counts = inbox.waiting_counts(world.planet, guest, standing, {"content.questions"})
    assert counts == {"content.questions": 1}
    later = utcnow() + timedelta(days=3)
    assert [t.id for t in unanswered_questions(world.planet, later)] == [waiting.topic_id]


def test_late_and_replayed_events_change_nothing_after_a_refund(world, provider):
    """A success event replayed after the decline, and the refund's own events, in any order:
    one refund, the question stays closed, the ledger at zero."""
    from payments import refunds

    payment = ask_and_pay(world, world.member)
    verified(payment)
    questions.decline(world.planet, Who(world.guest), db.session.get(Topic, payment.topic_id))
    db.session.commit()
    for _ in range(3):
        assert verified(db.session.get(Payment, payment.id)) == "already applied"
        assert refunds.sync_refunds(db.session.get(Payment, payment.id)) == 0
        db.session.commit()
    assert len(provider_refunds(provider, payment)) == 1
    assert db.session.scalar(select(func.count(Refund.id))) == 1
    assert db.session.get(Topic, payment.topic_id).paid_status is PaidStatus.DECLINED
    assert total(payment.id) == 0
