"""Integration tests against a real localstripe process and a live app server (PostgreSQL)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from payments import checkout as checkouts
from payments import reconcile
from payments.models import (
    Coupon,
    CouponKind,
    LedgerEntry,
    Payment,
    PaymentStatus,
    ProviderEvent,
)
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus
from tests.payments.test_checkout import Who
from tests.plugins.stripe import sign_payload

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_config(stripe_app_config):
    return stripe_app_config


def wait_until(check, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()
        db.session.expire_all()
        if check():
            return True
        time.sleep(0.2)
    return False


def active(planet_id, user_id):
    m = db.session.scalar(
        select(Membership).where(Membership.planet_id == planet_id, Membership.user_id == user_id)
    )
    return m is not None and m.status is MembershipStatus.ACTIVE


def checkout(client, login_as, make, planet, card_token, number="4242424242424242"):
    buyer = make.user()
    login_as(buyer)
    page = client.get(f"/p/{planet.slug}/checkout")
    assert page.status_code == 200
    response = client.post(
        f"/p/{planet.slug}/checkout",
        data={"planet_id": planet.id, "expected_amount": planet.price_amount},
    )
    assert response.status_code == 302, response.data
    payment_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    result = client.post(f"/payments/{payment_id}/confirm", json={"token": card_token(number)})
    assert result.status_code == 200
    return buyer, payment_id, result.get_json()


def test_join_with_a_test_card_grants_access_only_after_the_webhook(
    app, client, login_as, make, card_token, live_server, register_webhook
):
    planet = make.planet(price_amount=9900, currency="cny")
    register_webhook(live_server + "/webhooks/stripe")
    buyer, payment_id, body = checkout(client, login_as, make, planet, card_token)
    assert body["status"] == "succeeded"
    assert wait_until(lambda: active(planet.id, buyer.id))
    assert db.session.scalar(select(func.count(ProviderEvent.id))) >= 1
    total = db.session.scalar(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.payment_id == payment_id)
    )
    assert total == 9900
    # Refund within the window: access ends, the split is reversed, at the real provider.
    response = client.post(f"/payments/{payment_id}/refund", data={})
    assert response.status_code == 302
    db.session.expire_all()
    assert not active(planet.id, buyer.id)
    total = db.session.scalar(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.payment_id == payment_id)
    )
    assert total == 0
    intent = db.session.get(Payment, payment_id).provider_intent_id
    refunds = requests.get(
        f"{app.config['STRIPE_API_BASE']}/v1/refunds",
        params={"payment_intent": intent},
        headers={"Authorization": "Bearer sk_test_planet"},
        timeout=10,
    ).json()
    assert [r["amount"] for r in refunds["data"]] == [9900]


def test_declined_card_grants_nothing(app, client, login_as, make, card_token):
    planet = make.planet(price_amount=9900)
    buyer, payment_id, body = checkout(
        client, login_as, make, planet, card_token, "4000000000000341"
    )
    assert body["status"] == "failed"
    db.session.expire_all()
    assert db.session.get(Payment, payment_id).status is PaymentStatus.FAILED
    assert not active(planet.id, buyer.id)


def _succeeded_event(app, intent_id):
    events = requests.get(
        f"{app.config['STRIPE_API_BASE']}/v1/events",
        params={"type": "payment_intent.succeeded", "limit": 100},
        headers={"Authorization": "Bearer sk_test_planet"},
        timeout=10,
    ).json()["data"]
    return next(e for e in events if e["data"]["object"]["id"] == intent_id)


def _deliver(url, payload):
    return requests.post(
        url,
        data=payload,
        headers={"Stripe-Signature": sign_payload(payload), "Content-Type": "application/json"},
        timeout=20,
    ).status_code


def test_same_event_3_times_and_10_at_once(app, client, login_as, make, card_token, live_server):
    planet = make.planet(price_amount=5000)
    buyer, payment_id, _ = checkout(client, login_as, make, planet, card_token)
    intent = db.session.get(Payment, payment_id).provider_intent_id
    payload = json.dumps(_succeeded_event(app, intent))
    url = live_server + "/webhooks/stripe"
    assert [_deliver(url, payload) for _ in range(3)] == [200, 200, 200]
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda _: _deliver(url, payload), range(10)))
    assert statuses == [200] * 10
    db.session.expire_all()
    assert active(planet.id, buyer.id)
    assert (
        db.session.scalar(
            select(func.count(LedgerEntry.id)).where(LedgerEntry.payment_id == payment_id)
        )
        == 2
    )
    assert db.session.scalar(select(func.count(ProviderEvent.id))) == 1


def test_two_checkouts_at_once_give_one_membership_and_refund_the_second(
    app, make, card_token, live_server
):
    planet = make.planet(price_amount=5000)
    buyer = make.user()
    ids = []
    for _ in range(2):
        payment = checkouts.start_checkout(planet, Who(buyer))
        checkouts.confirm_payment(payment, Who(buyer), card_token())
        ids.append(payment.id)
    db.session.commit()
    payloads = [
        json.dumps(_succeeded_event(app, db.session.get(Payment, i).provider_intent_id))
        for i in ids
    ]
    url = live_server + "/webhooks/stripe"
    barrier = threading.Barrier(2)

    def deliver(payload):
        barrier.wait()
        return _deliver(url, payload)

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(deliver, payloads)) == [200, 200]
    db.session.expire_all()
    statuses = sorted(str(db.session.get(Payment, i).status) for i in ids)
    assert statuses == ["refunded", "succeeded"]
    assert (
        db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == buyer.id))
        == 1
    )


def test_single_use_coupon_redeemed_20_times_at_once_succeeds_once(app, make):
    planet = make.planet(price_amount=5000)
    db.session.add(
        Coupon(
            planet_id=planet.id,
            code="ONCE",
            kind=CouponKind.PERCENT,
            value=10,
            max_uses=1,
            used_count=0,
        )
    )
    db.session.commit()
    buyers = [make.user() for _ in range(20)]
    barrier = threading.Barrier(20)

    def redeem(user):
        with app.test_request_context():
            barrier.wait()
            try:
                checkouts.start_checkout(planet, Who(user), coupon_code="ONCE")
                db.session.commit()
                return "ok"
            except Exception as error:  # Conflict: used up
                db.session.rollback()
                return type(error).__name__
            finally:
                db.session.remove()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(redeem, buyers))
    assert results.count("ok") == 1
    db.session.expire_all()
    assert db.session.scalar(select(Coupon.used_count)) == 1
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_reconcile_restores_20_payments_made_while_the_endpoint_was_down(
    app, make, card_token, register_webhook
):
    register_webhook("http://127.0.0.1:9/down")
    planet = make.planet(price_amount=3000)
    since = utcnow()
    buyers = []
    for _ in range(20):
        buyer = make.user()
        payment = checkouts.start_checkout(planet, Who(buyer))
        checkouts.confirm_payment(payment, Who(buyer), card_token())
        buyers.append(buyer)
    db.session.commit()
    report = reconcile.reconcile(
        since.replace(microsecond=0) - __import__("datetime").timedelta(seconds=5)
    )
    db.session.commit()
    assert report["granted"] == 20
    assert all(active(planet.id, b.id) for b in buyers)
