"""Disputes (chargebacks) through the webhook: the dispute is re-fetched from the provider and
applied under the payment's lock; replays and any order of events end the same; the disputed
money is held in the ledger; a won dispute gives it back, a lost one ends the membership."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from payments import checkout, grant, refunds
from payments.models import Dispute, DisputeStatus, LedgerEntry, Payment, PaymentStatus
from planet.errors import Conflict
from planet.extensions import db
from planet.notifications.models import Kind, Notification
from planet.planets.models import Membership
from tests.payments.test_checkout import Who
from tests.payments.test_webhooks import SECRET, event, post

PRICE = 10000


@pytest.fixture
def app_config():
    return {"STRIPE_WEBHOOK_SECRET": SECRET}


def _paid(make, planet):
    buyer = make.user()
    payment = checkout.start_checkout(planet, Who(buyer))
    checkout.confirm_payment(payment, Who(buyer), "tok_ok")
    grant.sync_payment(payment)
    db.session.commit()
    assert payment.status is PaymentStatus.SUCCEEDED
    return payment.id


def _dispute_event(n, type_, dispute_id="dp_1"):
    return event(f"evt_dispute_{n}", type_, {"id": dispute_id, "object": "dispute"})


def _state(payment_id):
    db.session.expire_all()
    payment = db.session.get(Payment, payment_id)
    net = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.payment_id == payment_id
        )
    )
    disputes = db.session.scalars(select(Dispute).where(Dispute.payment_id == payment_id)).all()
    membership = db.session.get(Membership, payment.membership_id)
    active = membership.is_entitled_at(membership.created_at) and membership.status == "active"
    return payment.status, net, tuple(d.status for d in disputes), active


def test_an_open_dispute_holds_the_money_and_refuses_refunds(client, make, provider, paid_planet):
    payment_id = _paid(make, paid_planet)
    intent = db.session.get(Payment, payment_id).provider_intent_id
    provider.dispute(intent, PRICE)

    for _ in range(3):  # a replayed event changes nothing the second time
        assert post(client, _dispute_event(1, "charge.dispute.created")).status_code == 200

    status, net, disputes, active = _state(payment_id)
    assert (status, net, disputes) == (PaymentStatus.DISPUTED, 0, (DisputeStatus.OPEN,))
    assert active  # access stays until the bank decides
    owner_told = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == paid_planet.owner_id, Notification.kind == Kind.PAYMENT_DISPUTED
        )
    )
    assert owner_told == 1
    payment = db.session.get(Payment, payment_id)
    assert payment.refundable_amount == 0
    with pytest.raises(Conflict):
        refunds.refund_payment(payment, Who(paid_planet.owner), 1000)
    db.session.rollback()
    assert not [
        r for r in provider.requests if r["path"] == "/v1/refunds" and r["method"] == "POST"
    ]


def test_a_won_dispute_gives_the_shares_back(client, make, provider, paid_planet):
    payment_id = _paid(make, paid_planet)
    intent = db.session.get(Payment, payment_id).provider_intent_id
    provider.dispute(intent, PRICE)
    post(client, _dispute_event(1, "charge.dispute.created"))
    provider.dispute(intent, PRICE, status="won")

    for _ in range(2):
        assert post(client, _dispute_event(2, "charge.dispute.closed")).status_code == 200

    assert _state(payment_id) == (PaymentStatus.SUCCEEDED, PRICE, (DisputeStatus.WON,), True)
    shares = db.session.execute(
        select(LedgerEntry.party, LedgerEntry.user_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.payment_id == payment_id)
        .group_by(LedgerEntry.party, LedgerEntry.user_id)
    ).all()
    split = db.session.execute(
        select(LedgerEntry.party, LedgerEntry.user_id, LedgerEntry.amount).where(
            LedgerEntry.payment_id == payment_id, LedgerEntry.entry_key.like("pay:%")
        )
    ).all()
    assert sorted(shares) == sorted(split)  # each party holds exactly its split again


def test_a_lost_dispute_is_a_charge_back_and_ends_access(client, make, provider, paid_planet):
    payment_id = _paid(make, paid_planet)
    intent = db.session.get(Payment, payment_id).provider_intent_id
    provider.dispute(intent, PRICE, status="lost")  # we hear of it only when it closed

    assert post(client, _dispute_event(1, "charge.dispute.closed")).status_code == 200

    assert _state(payment_id) == (PaymentStatus.CHARGED_BACK, 0, (DisputeStatus.LOST,), False)
    replay = post(client, event("evt_late", "payment_intent.succeeded", {"id": intent}))
    assert replay.status_code == 200
    assert _state(payment_id) == (PaymentStatus.CHARGED_BACK, 0, (DisputeStatus.LOST,), False)


def test_a_dispute_after_a_partial_refund_holds_only_what_is_left(
    client, make, provider, paid_planet
):
    payment_id = _paid(make, paid_planet)
    payment = db.session.get(Payment, payment_id)
    refunds.refund_payment(payment, Who(paid_planet.owner), 4000)
    db.session.commit()
    provider.dispute(payment.provider_intent_id, PRICE - 4000)
    post(client, _dispute_event(1, "charge.dispute.created"))
    assert _state(payment_id)[:2] == (PaymentStatus.DISPUTED, 0)
    provider.dispute(payment.provider_intent_id, PRICE - 4000, status="won")

    post(client, _dispute_event(2, "charge.dispute.closed"))

    assert _state(payment_id)[:2] == (PaymentStatus.PARTIALLY_REFUNDED, PRICE - 4000)


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_every_order_of_a_disputes_events_ends_the_same(make, provider, paid_planet, app, outcome):
    types = ["charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.closed"]
    ends = set()
    for n, order in enumerate(itertools.permutations(types)):
        payment_id = _paid(make, paid_planet)
        intent = db.session.get(Payment, payment_id).provider_intent_id
        provider.dispute(intent, PRICE, status=outcome, dispute_id=f"dp_{n}")
        client = app.test_client()
        for i, type_ in enumerate(order):
            payload = event(f"evt_{n}_{i}", type_, {"id": f"dp_{n}", "object": "dispute"})
            assert post(client, payload).status_code == 200
        ends.add(_state(payment_id))
    expected = {
        "won": (PaymentStatus.SUCCEEDED, PRICE, (DisputeStatus.WON,), True),
        "lost": (PaymentStatus.CHARGED_BACK, 0, (DisputeStatus.LOST,), False),
    }[outcome]
    assert ends == {expected}


@pytest.mark.postgres
def test_dispute_events_delivered_at_once_apply_once(app, make, provider, paid_planet):
    """The provider retries: the created and closed events, each three times, at once."""
    payment_id = _paid(make, paid_planet)
    intent = db.session.get(Payment, payment_id).provider_intent_id
    provider.dispute(intent, PRICE, status="lost")
    payloads = [_dispute_event(1, "charge.dispute.created")] * 3 + [
        _dispute_event(2, "charge.dispute.closed")
    ] * 3
    clients = [app.test_client() for _ in payloads]
    barrier = threading.Barrier(len(payloads))

    def send(index):
        barrier.wait()
        return post(clients[index], payloads[index]).status_code

    with ThreadPoolExecutor(len(payloads)) as pool:
        statuses = list(pool.map(send, range(len(payloads))))
    db.session.remove()

    assert all(status == 200 for status in statuses), statuses
    assert _state(payment_id) == (PaymentStatus.CHARGED_BACK, 0, (DisputeStatus.LOST,), False)
    holds = db.session.scalar(
        select(func.count(LedgerEntry.id)).where(LedgerEntry.entry_key.like("dis:%"))
    )
    assert holds == len({row for row in _split_parties(payment_id)})


def _split_parties(payment_id):
    return db.session.execute(
        select(LedgerEntry.party, LedgerEntry.user_id).where(
            LedgerEntry.payment_id == payment_id, LedgerEntry.entry_key.like("pay:%")
        )
    ).all()
