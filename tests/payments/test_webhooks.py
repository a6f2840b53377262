"""The webhook route: signature, storage by id, replays, order, unknown events, CSRF."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from sqlalchemy import func, select

from payments import checkout
from payments.models import LedgerEntry, Payment, PaymentStatus, ProviderEvent
from planet.extensions import db
from planet.planets.models import Membership
from tests.payments.test_checkout import Who
from tests.plugins.stripe import sign_payload

SECRET = "whsec_unit"


@pytest.fixture
def app_config():
    return {"STRIPE_WEBHOOK_SECRET": SECRET}


def event(event_id, type_, obj):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": type_,
            "livemode": False,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def post(client, payload, signature=None):
    return client.post(
        "/webhooks/stripe",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature or sign_payload(payload, SECRET)},
    )


def counts():
    return (
        db.session.scalar(select(func.count(Membership.id))),
        db.session.scalar(select(func.count(LedgerEntry.id))),
        db.session.scalar(select(func.count(ProviderEvent.id))),
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p, s: (p, None),
        lambda p, s: (p, sign_payload(p, "whsec_wrong")),
        lambda p, s: (p.replace("evt_1", "evt_2"), s),
        lambda p, s: (p, sign_payload(p, SECRET, int(time.time()) - 301)),
        lambda p, s: (p, "garbage"),
    ],
    ids=["missing", "wrong-secret", "changed-byte", "301s-old", "garbage"],
)
def test_bad_signatures_are_refused_and_nothing_written(client, app, mutate):
    payload = event("evt_1", "payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    body, signature = mutate(payload, sign_payload(payload, SECRET))
    response = client.post(
        "/webhooks/stripe",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature} if signature else {},
    )
    assert response.status_code == 400
    assert counts() == (0, 0, 0)


def test_valid_unknown_type_is_acknowledged_and_ignored(client, app, make):
    make.user()
    response = post(
        client, event("evt_9", "customer.created", {"id": "cus_1", "object": "customer"})
    )
    assert response.status_code == 200
    row = db.session.scalar(select(ProviderEvent))
    assert row.outcome == "ignored: type" and row.processed_at is not None


def test_unknown_payment_is_ignored_with_a_log_line(client, app, provider, caplog):
    caplog.set_level("INFO")
    payload = event(
        "evt_u",
        "payment_intent.succeeded",
        {"id": "pi_nope", "object": "payment_intent", "metadata": {}},
    )
    assert post(client, payload).status_code == 200
    assert db.session.scalar(select(ProviderEvent.outcome)) == "ignored: unknown payment"
    assert "names no payment of ours" in caplog.text


def test_webhook_is_csrf_exempt(app, make):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    payload = event("evt_c", "customer.created", {"id": "cus_1", "object": "customer"})
    assert post(client, payload).status_code == 200


def _paid(make, provider, planet):
    buyer = make.user()
    payment = checkout.start_checkout(planet, Who(buyer))
    checkout.confirm_payment(payment, Who(buyer), "tok_ok")
    db.session.commit()
    return payment


def test_same_event_three_times_gives_one_membership_and_one_split(
    client, make, provider, paid_planet
):
    payment = _paid(make, provider, paid_planet)
    payload = event(
        "evt_s",
        "payment_intent.succeeded",
        {
            "id": payment.provider_intent_id,
            "object": "payment_intent",
            "metadata": {"payment_id": str(payment.id)},
        },
    )
    for _ in range(3):
        assert post(client, payload).status_code == 200
    assert counts() == (2, 2, 1)  # the owner and the buyer; one split; one stored event
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.SUCCEEDED


def test_every_order_of_a_payments_events_ends_the_same(make, provider, paid_planet, app):
    types = ["payment_intent.payment_failed", "payment_intent.succeeded", "charge.refunded"]
    outcomes = set()
    for n, order in enumerate(itertools.permutations(types)):
        payment = _paid(make, provider, paid_planet)
        client = app.test_client()
        for i, type_ in enumerate(order):
            obj = (
                {"id": payment.provider_intent_id, "object": "payment_intent"}
                if type_.startswith("payment_intent")
                else {
                    "id": "ch_1",
                    "object": "charge",
                    "payment_intent": payment.provider_intent_id,
                }
            )
            assert post(client, event(f"evt_{n}_{i}", type_, obj)).status_code == 200
        db.session.expire_all()
        fresh = db.session.get(Payment, payment.id)
        total = db.session.scalar(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.payment_id == payment.id)
        )
        outcomes.add((fresh.status, total))
    assert outcomes == {(PaymentStatus.SUCCEEDED, 10000)}
