"""Money is exact under concurrency (RELIABILITY 12a), through the HTTP app, on PostgreSQL and
a real localstripe (which ignores idempotency keys and allows over-refunds: the row lock and
our refund rows are what keep the money exact).

Each request runs in its own thread with its own test client and database connection, all
released at once by a barrier.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from payments import checkout as checkouts
from payments import grant
from payments.gateway import get_gateway
from payments.models import (
    BillingCustomer,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from planet.extensions import db
from planet.planets.models import Planet
from tests.conftest import login
from tests.payments.test_checkout import Who

pytestmark = pytest.mark.postgres

PRICE = 9900


@pytest.fixture
def app_config(stripe_app_config):
    return stripe_app_config


def _at_once(app, user, count, request):
    """`count` clients signed in as `user` send `request(client, i)` together."""
    clients = []
    for _ in range(count):
        client = app.test_client()
        login(client, user)
        clients.append(client)
    barrier = threading.Barrier(count)

    def send(index):
        barrier.wait()
        return request(clients[index], index).status_code

    with ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(send, range(count)))
    db.session.remove()
    return statuses


def _paid_payment(make, card_token, price=PRICE):
    owner = make.user()
    planet = make.planet(owner, price_amount=price)
    buyer = make.user()
    payment = checkouts.start_checkout(planet, Who(buyer))
    checkouts.confirm_payment(payment, Who(buyer), card_token())
    db.session.commit()
    grant.sync_payment(payment)
    db.session.commit()
    assert payment.status is PaymentStatus.SUCCEEDED
    return owner, buyer, payment.id


def _provider_charges_for(payment_id: int, since: int) -> list[dict]:
    """Charges at the provider for this payment: its metadata names the payment and the
    customer is the buyer's (other tests on the same localstripe reuse small payment ids)."""
    payment = db.session.get(Payment, payment_id)
    customer = db.session.scalar(
        select(BillingCustomer.provider_customer_id).where(
            BillingCustomer.user_id == payment.user_id
        )
    )
    gateway = get_gateway()
    charges = []
    for charge in gateway.list_charges(since):
        intent = gateway.fetch_payment(charge["payment_intent"])
        ours = str((intent.get("metadata") or {}).get("payment_id")) == str(payment_id)
        if ours and intent.get("customer") == customer:
            charges.append(charge)
    return charges


def _provider_refunded(payment: Payment) -> int:
    refunds = get_gateway().list_refunds(payment.provider_intent_id)
    return sum(int(r["amount"]) for r in refunds if r.get("status") in ("succeeded", "pending"))


def _ledger_net(payment_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.payment_id == payment_id
        )
    )


def test_one_payment_confirmed_from_ten_tabs_charges_once(app, make, card_token):
    planet = make.planet(price_amount=PRICE)
    buyer = make.user()
    payment = checkouts.start_checkout(planet, Who(buyer))
    db.session.commit()
    payment_id = payment.id
    tokens = [card_token() for _ in range(10)]  # each tab typed the card itself
    since = int(time.time()) - 2

    statuses = _at_once(
        app,
        buyer,
        10,
        lambda client, i: client.post(f"/payments/{payment_id}/confirm", json={"token": tokens[i]}),
    )

    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(200) >= 1
    charges = _provider_charges_for(payment_id, since)
    assert len(charges) == 1, [c["id"] for c in charges]
    payment = db.session.get(Payment, payment_id)
    assert payment.provider_intent_id == charges[0]["payment_intent"]
    assert payment.attempts == 1


def test_ten_concurrent_full_refunds_refund_once(app, make, card_token):
    _, buyer, payment_id = _paid_payment(make, card_token)

    statuses = _at_once(
        app, buyer, 10, lambda client, i: client.post(f"/payments/{payment_id}/refund")
    )

    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(302) == 1, statuses
    payment = db.session.get(Payment, payment_id)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded_amount == PRICE
    assert _provider_refunded(payment) == PRICE
    assert len(get_gateway().list_refunds(payment.provider_intent_id)) == 1
    succeeded = db.session.scalar(
        select(func.count(Refund.id)).where(
            Refund.payment_id == payment_id, Refund.status == RefundStatus.SUCCEEDED
        )
    )
    assert succeeded == 1
    assert _ledger_net(payment_id) == 0


@pytest.mark.parametrize("count", [2, 5])
def test_concurrent_partial_refunds_never_exceed_what_was_paid(app, make, card_token, count):
    owner, _, payment_id = _paid_payment(make, card_token)

    statuses = _at_once(
        app,
        owner,
        count,
        lambda client, i: client.post(f"/payments/{payment_id}/refund", data={"amount": "40.00"}),
    )

    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(302) == min(count, 2), statuses  # 2 × 40.00 fit in 99.00, a third not
    payment = db.session.get(Payment, payment_id)
    ours = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.payment_id == payment_id, Refund.status == RefundStatus.SUCCEEDED
        )
    )
    assert ours == payment.refunded_amount == _provider_refunded(payment) == 8000
    assert payment.refunded_amount <= payment.amount
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert _ledger_net(payment_id) == PRICE - 8000


def test_a_refund_killed_after_the_provider_call_is_not_repeated(
    app, make, card_token, monkeypatch
):
    """The provider refunded, then the request died before our commit: the retry finds the
    provider's refund first and refunds nothing more."""
    from payments import refunds

    _, buyer, payment_id = _paid_payment(make, card_token)
    client = app.test_client()
    login(client, buyer)

    def die(*args, **kwargs):
        raise RuntimeError("killed between the provider call and our commit")

    with monkeypatch.context() as patch:
        patch.setattr(refunds, "_complete_refund", die)
        with pytest.raises(RuntimeError):
            client.post(f"/payments/{payment_id}/refund")
    db.session.remove()
    payment = db.session.get(Payment, payment_id)
    assert payment.refunded_amount == 0  # nothing of ours was written
    assert _provider_refunded(payment) == PRICE  # but the provider refunded

    retry = client.post(f"/payments/{payment_id}/refund")

    assert retry.status_code == 302, retry.data
    db.session.remove()
    payment = db.session.get(Payment, payment_id)
    assert len(get_gateway().list_refunds(payment.provider_intent_id)) == 1
    assert payment.refunded_amount == PRICE == _provider_refunded(payment)
    assert payment.status is PaymentStatus.REFUNDED


def test_a_confirm_killed_after_the_charge_is_not_charged_again(app, make, card_token, monkeypatch):
    """The provider charged, then the request died before our commit (localstripe ignores
    the idempotency key): the retry finds that charge and adopts its intent."""
    planet = make.planet(price_amount=PRICE)
    buyer = make.user()
    payment = checkouts.start_checkout(planet, Who(buyer))
    db.session.commit()
    payment_id = payment.id
    since = int(time.time()) - 2
    client = app.test_client()
    login(client, buyer)

    def die(*args, **kwargs):
        raise RuntimeError("killed between the provider call and our commit")

    with monkeypatch.context() as patch:
        patch.setattr(checkouts, "_record_intent_state", die)
        with pytest.raises(RuntimeError):
            client.post(f"/payments/{payment_id}/confirm", json={"token": card_token()})
    db.session.remove()
    payment = db.session.get(Payment, payment_id)
    assert payment.provider_intent_id is None  # nothing of ours was written
    assert len(_provider_charges_for(payment_id, since)) == 1  # but the provider charged

    retry = client.post(f"/payments/{payment_id}/confirm", json={"token": card_token()})

    assert retry.status_code == 200, retry.data
    assert retry.get_json()["status"] == "succeeded"
    db.session.remove()
    charges = _provider_charges_for(payment_id, since)
    assert len(charges) == 1, [c["id"] for c in charges]
    payment = db.session.get(Payment, payment_id)
    assert payment.provider_intent_id == charges[0]["payment_intent"]
    grant.sync_payment(payment)
    db.session.commit()
    assert payment.status is PaymentStatus.SUCCEEDED


def test_one_refund_form_sent_twice_refunds_once(app, make, card_token):
    """A double click (or a resend) of the owner's partial refund form: both requests carry the
    key the page gave that form, so the second one finds the first one's refund."""
    owner, _, payment_id = _paid_payment(make, card_token)
    planet_slug = db.session.get(Planet, db.session.get(Payment, payment_id).planet_id).slug
    page = app.test_client()
    login(page, owner)
    html = page.get(f"/p/{planet_slug}/income").get_data(as_text=True)
    form = html[html.index(f"/payments/{payment_id}/refund") :]
    key = re.search(r'name="request_key" value="([0-9a-f]{32})"', form).group(1)

    def send(client, i):
        return client.post(
            f"/payments/{payment_id}/refund", data={"amount": "40.00", "request_key": key}
        )

    statuses = _at_once(app, owner, 2, send)
    again = send(page, 2)

    assert all(status == 302 for status in statuses), statuses
    assert again.status_code == 302
    payment = db.session.get(Payment, payment_id)
    assert payment.refunded_amount == 4000 == _provider_refunded(payment)
    assert len(get_gateway().list_refunds(payment.provider_intent_id)) == 1
    assert _ledger_net(payment_id) == PRICE - 4000
