"""Paid questions (付费提问) against a real localstripe and a live app server (PostgreSQL): the
payment is granted only by the verified webhook, and every refund is one refund at localstripe."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from payments import questions
from payments.models import LedgerEntry, Party, Payment, PaymentKind, PaymentStatus
from planet.content.models import Audience, PaidStatus, Topic
from planet.content.services import paid_questions as paid
from planet.extensions import db
from planet.planets.models import Membership, Role
from tests.payments.test_checkout import Who
from tests.payments.test_localstripe import wait_until

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_config(stripe_app_config):
    return stripe_app_config


@pytest.fixture
def world(make, live_server, register_webhook):
    register_webhook(live_server + "/webhooks/stripe")
    owner = make.user(name="Owner")
    planet = make.planet(owner, price_amount=9900, currency="cny")
    guest = make.user(name="Guest")
    make.member(planet, guest, role=Role.GUEST)
    member = make.user(name="Member")
    make.member(planet, member)
    paid.set_offer(planet, Who(guest), 2000, Audience.BOTH)
    db.session.commit()
    return type("World", (), locals())


def ask_and_pay(client, login_as, world, card_token, who, private=False):
    login_as(who)
    form = {"body": "How?", "expected_amount": "2000"}
    if private:
        form["answer_private"] = "y"
    url = f"/p/{world.planet.slug}/ask/{world.guest.id}/paid"
    assert client.post(url, data=form).status_code == 302
    payment = db.session.scalar(
        select(Payment).where(Payment.user_id == who.id, Payment.kind == PaymentKind.QUESTION)
    )
    result = client.post(
        f"/payments/{payment.id}/confirm", json={"token": card_token("4242424242424242")}
    )
    assert result.get_json()["status"] == "succeeded"
    assert wait_until(lambda: _status(payment.topic_id) is PaidStatus.WAITING)
    return db.session.get(Payment, payment.id)


def _status(topic_id):
    return db.session.get(Topic, topic_id).paid_status


def ledger_total(payment_id):
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.payment_id == payment_id
        )
    )


def provider_refunds(app, payment):
    found = requests.get(
        f"{app.config['STRIPE_API_BASE']}/v1/refunds",
        params={"payment_intent": payment.provider_intent_id},
        headers={"Authorization": "Bearer sk_test_planet"},
        timeout=10,
    ).json()
    return [r["amount"] for r in found["data"]]


def test_pay_to_ask_then_answer_in_time_adds_up(app, client, login_as, world, card_token):
    payment = ask_and_pay(client, login_as, world, card_token, world.member)
    assert ledger_total(payment.id) == 2000
    login_as(world.guest)
    url = f"/p/{world.planet.slug}/t/{payment.topic_id}/answer"
    assert client.post(url, data={"body": "Like this."}).status_code == 302
    db.session.expire_all()
    assert _status(payment.topic_id) is PaidStatus.ANSWERED
    rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.payment_id == payment.id)).all()
    assert sum(r.amount for r in rows) == 2000
    split = {r.party: r.amount for r in rows if r.party is not Party.ESCROW}
    platform = 2000 * 500 // 10000
    guest = (2000 - platform) * 7000 // 10000
    assert split == {
        Party.PLATFORM: platform,
        Party.GUEST: guest,
        Party.OWNER: 2000 - platform - guest,
    }
    assert provider_refunds(app, payment) == []


def test_no_answer_by_the_deadline_refunds_exactly_once(app, client, login_as, world, card_token):
    payment = ask_and_pay(client, login_as, world, card_token, world.member)
    before = db.session.execute(select(Membership.id, Membership.status)).all()
    due = db.session.get(Topic, payment.topic_id).due_at
    for _run in range(3):  # the sweep run again (a second beat, a retried tick)
        questions.sweep_question_deadlines(due + timedelta(seconds=1))
    db.session.expire_all()
    assert provider_refunds(app, payment) == [2000]
    assert db.session.get(Payment, payment.id).status is PaymentStatus.REFUNDED
    assert _status(payment.topic_id) is PaidStatus.EXPIRED
    assert ledger_total(payment.id) == 0
    # The refund's own webhook events change nothing more.
    assert wait_until(lambda: db.session.get(Payment, payment.id).refunded_amount == 2000)
    assert db.session.execute(select(Membership.id, Membership.status)).all() == before


def test_declined_question_is_refunded(app, client, login_as, world, card_token):
    payment = ask_and_pay(client, login_as, world, card_token, world.member)
    login_as(world.guest)
    url = f"/p/{world.planet.slug}/t/{payment.topic_id}/decline"
    assert client.post(url).status_code == 302
    db.session.expire_all()
    assert provider_refunds(app, payment) == [2000]
    assert _status(payment.topic_id) is PaidStatus.DECLINED
    assert questions.sweep_question_deadlines(
        db.session.get(Topic, payment.topic_id).due_at + timedelta(hours=1)
    ) == {"refunded": 0, "failed": 0}
    assert provider_refunds(app, payment) == [2000]


def test_peek_pays_then_reads(app, client, login_as, world, card_token, make):
    payment = ask_and_pay(client, login_as, world, card_token, world.member, private=True)
    login_as(world.guest)
    page = f"/p/{world.planet.slug}/t/{payment.topic_id}"
    assert client.post(f"{page}/answer", data={"body": "SECRET-ANSWER"}).status_code == 302
    reader = make.user()
    make.member(world.planet, reader)
    login_as(reader)
    assert "SECRET-ANSWER" not in client.get(page).get_data(as_text=True)
    assert client.post(f"{page}/peek").status_code == 302
    peek = db.session.scalar(select(Payment).where(Payment.kind == PaymentKind.PEEK))
    result = client.post(
        f"/payments/{peek.id}/confirm", json={"token": card_token("4242424242424242")}
    )
    assert result.get_json()["status"] == "succeeded"
    assert wait_until(lambda: "SECRET-ANSWER" in client.get(page).get_data(as_text=True))
    assert ledger_total(peek.id) == 100
