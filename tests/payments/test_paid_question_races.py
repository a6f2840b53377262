"""Exactly one refund or one settlement per paid question, under races (PostgreSQL, a real
localstripe, real threads released together): the one asked answering while the deadline
sweep runs and they decline from other tabs; sweeps on several workers at once; one peek paid
from several tabs."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from payments import checkout, grant, questions
from payments.models import LedgerEntry, Party, Payment, PaymentKind, PaymentStatus, Refund
from planet.content.models import Audience, PaidStatus, Topic
from planet.content.services import paid_questions as paid
from planet.extensions import db
from planet.planets.models import Role
from tests.conftest import login
from tests.payments.test_checkout import Who

pytestmark = pytest.mark.postgres

PRICE = 3000


@pytest.fixture
def app_config(stripe_app_config):
    return stripe_app_config


@pytest.fixture
def world(make):
    owner = make.user()
    planet = make.planet(owner, price_amount=9900, currency="cny")
    guest = make.user()
    make.member(planet, guest, role=Role.GUEST)
    paid.set_offer(planet, Who(guest), PRICE, Audience.BOTH)
    db.session.commit()
    return type("World", (), locals())


def paid_question(make, world, card_token, private=False) -> Payment:
    asker = make.user()
    make.member(world.planet, asker)
    payment = questions.ask_with_payment(
        world.planet, Who(asker), addressee_id=world.guest.id, body="Q?", answer_private=private
    )
    db.session.commit()
    checkout.confirm_payment(payment, Who(asker), card_token("4242424242424242"))
    db.session.commit()
    assert grant.sync_payment(payment) == "question paid"
    db.session.commit()
    return payment


def provider_refunds(app, payment: Payment) -> list[int]:
    found = requests.get(
        f"{app.config['STRIPE_API_BASE']}/v1/refunds",
        params={"payment_intent": payment.provider_intent_id},
        headers={"Authorization": "Bearer sk_test_planet"},
        timeout=10,
    ).json()
    return [r["amount"] for r in found["data"]]


def together(app, tasks) -> list:
    """Run every task in its own thread (own app context and connection), released at once."""
    barrier = threading.Barrier(len(tasks))

    def run(task):
        with app.app_context():
            try:
                barrier.wait()
                return task()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(len(tasks)) as pool:
        results = list(pool.map(run, tasks))
    db.session.remove()
    return results


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def late_sweep(delay: float, now):
    """The sweep, started `delay` seconds after the others (so each side wins some rounds)."""
    time.sleep(delay)
    return questions.sweep_question_deadlines(now)


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.05, 0.3])
def test_answer_decline_and_sweep_at_once_give_one_outcome(app, make, world, card_token, delay):
    payment = paid_question(make, world, card_token)
    payment_id, topic_id = payment.id, payment.topic_id
    due = db.session.get(Topic, topic_id).due_at
    base = f"/p/{world.planet.slug}/t/{topic_id}"
    answerers = [signed_in(app, world.guest) for _ in range(2)]
    decliners = [signed_in(app, world.guest) for _ in range(2)]
    tasks = [
        lambda c=answerers[0]: c.post(f"{base}/answer", data={"body": "A1"}).status_code,
        lambda c=answerers[1]: c.post(f"{base}/answer", data={"body": "A2"}).status_code,
        lambda c=decliners[0]: c.post(f"{base}/decline").status_code,
        lambda c=decliners[1]: c.post(f"{base}/decline").status_code,
        # The sweep believes the deadline has passed (its clock runs ahead).
        lambda: late_sweep(delay, due + timedelta(seconds=1)),
        lambda: late_sweep(delay, due + timedelta(seconds=1)),
    ]
    results = together(app, tasks)
    statuses = results[:4]
    assert all(s < 500 for s in statuses), statuses
    topic = db.session.get(Topic, topic_id)
    row = db.session.get(Payment, payment_id)
    refunds = db.session.scalars(select(Refund).where(Refund.payment_id == payment_id)).all()
    parties = {e.party for e in db.session.scalars(select(LedgerEntry).where(
        LedgerEntry.payment_id == payment_id))}  # fmt: skip
    total = ledger_sum(payment_id)
    if topic.paid_status is PaidStatus.ANSWERED:
        if Party.OWNER not in parties:  # the settlement job runs after the answer's commit
            assert questions.settle_answered(topic_id) == "settled"
            db.session.commit()
        assert refunds == [] and provider_refunds(app, row) == []
        assert row.status is PaymentStatus.SUCCEEDED
        assert ledger_sum(payment_id) == PRICE
        assert statuses.count(302) == 1  # one answer; the other tab and the declines: 4xx
    else:
        assert topic.paid_status in (PaidStatus.DECLINED, PaidStatus.EXPIRED)
        assert len(refunds) == 1 and provider_refunds(app, row) == [PRICE]
        assert row.status is PaymentStatus.REFUNDED and total == 0
        assert topic.answered_at is None
        assert Party.OWNER not in parties
        assert 302 not in statuses[:2]  # no answer was taken
        assert statuses[2:].count(302) == (topic.paid_status is PaidStatus.DECLINED)


def ledger_sum(payment_id: int) -> int:
    return db.session.scalar(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.payment_id == payment_id)
    )


def test_sweeps_on_several_workers_refund_each_question_once(app, make, world, card_token):
    payments = [paid_question(make, world, card_token) for _ in range(5)]
    ids = [p.id for p in payments]
    due = max(db.session.get(Topic, p.topic_id).due_at for p in payments)
    reports = together(
        app, [lambda: questions.sweep_question_deadlines(due + timedelta(seconds=1))] * 4
    )
    assert sum(r["refunded"] for r in reports) == 5
    for payment_id in ids:
        payment = db.session.get(Payment, payment_id)
        assert provider_refunds(app, payment) == [PRICE]
        assert (
            db.session.scalar(select(func.count(Refund.id)).where(Refund.payment_id == payment_id))
            == 1
        )


def test_one_peek_from_several_tabs_is_one_payment(app, make, world, card_token):
    payment = paid_question(make, world, card_token, private=True)
    topic = db.session.get(Topic, payment.topic_id)
    from planet.content.services import questions as qa

    qa.answer_question(world.planet, Who(world.guest), topic, "Private")
    db.session.commit()
    reader = make.user()
    make.member(world.planet, reader)
    reader_id = reader.id
    clients = [signed_in(app, reader) for _ in range(6)]
    url = f"/p/{world.planet.slug}/t/{topic.id}/peek"
    statuses = together(app, [lambda c=c: c.post(url).status_code for c in clients])
    assert all(s in (302, 409) for s in statuses), statuses
    assert (
        db.session.scalar(
            select(func.count(Payment.id)).where(
                Payment.kind == PaymentKind.PEEK, Payment.user_id == reader_id
            )
        )
        == 1
    )
