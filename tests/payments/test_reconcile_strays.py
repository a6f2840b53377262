"""Reconciliation against a real localstripe: a charge we hold no record of is found, recorded
and refunded exactly once, and the member told once (RELIABILITY 12b); a payment with a correct
record is untouched; the platform admin sees what was found.

RELIABILITY 5 (endpoint down, 20 payments, the next reconciliation restores 20 of 20) is
tests/payments/test_localstripe.py::test_reconcile_restores_20_payments_made_while_the_endpoint_was_down.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests
import stripe
from sqlalchemy import func, select

from payments import checkout as checkouts
from payments import reconcile
from payments.gateway import get_gateway
from payments.models import (
    BillingCustomer,
    MismatchAction,
    MismatchKind,
    Payment,
    PaymentStatus,
    ProviderMismatch,
)
from planet.extensions import db
from planet.models import utcnow
from planet.notifications.models import Notification, Outbox
from tests.payments.test_checkout import Who

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_config(stripe_app_config):
    return stripe_app_config


def fresh_second() -> datetime:
    """Start on a new second: charges of earlier tests (same localstripe) fall before it."""
    time.sleep(1.02 - time.time() % 1)
    return utcnow()


def sdk(app) -> stripe.StripeClient:
    """Someone acting at the provider behind Planet's back (a dashboard, a stray script)."""
    return stripe.StripeClient(
        "sk_test_planet", base_addresses={"api": app.config["STRIPE_API_BASE"]}
    )


def provider_refunds(app, **params) -> list[dict]:
    return requests.get(
        f"{app.config['STRIPE_API_BASE']}/v1/refunds",
        params={**params, "limit": 100},
        headers={"Authorization": "Bearer sk_test_planet"},
        timeout=10,
    ).json()["data"]


def customer_with_card(user, card_token) -> tuple[str, str]:
    gateway = get_gateway()
    key = uuid.uuid4().hex
    customer = gateway.create_customer(
        email=user.email, metadata={"user_id": user.id}, idempotency_key=f"t-cus-{key}"
    )
    card = gateway.save_card(
        customer_id=customer["id"], token=card_token(), idempotency_key=f"t-card-{key}"
    )
    db.session.add(BillingCustomer(user_id=user.id, provider_customer_id=customer["id"]))
    db.session.commit()
    return customer["id"], card["id"]


def later():
    """A run after the stray grace: the charges made just now are old enough to judge."""
    return utcnow() + reconcile.STRAY_GRACE + timedelta(minutes=1)


def run_three_times(since):
    reports = []
    for _ in range(3):
        reports.append(reconcile.reconcile(since, later()))
        db.session.commit()
    return reports


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_bare_charge_without_metadata_is_refunded_once_and_the_member_told(app, make, card_token):
    member = make.user(locale="zh")
    customer_id, card_id = customer_with_card(member, card_token)
    since = fresh_second()
    charge = sdk(app).v1.charges.create(
        params={"amount": 4200, "currency": "cny", "customer": customer_id, "source": card_id}
    )
    fresh = reconcile.reconcile(since)  # may be a checkout not yet committed: left alone
    db.session.commit()
    assert (fresh["strays_refunded"], fresh["strays_deferred"]) == (0, 1)
    assert provider_refunds(app, charge=charge.id) == [] and count(ProviderMismatch) == 0
    reports = run_three_times(since)
    assert [r["strays_refunded"] for r in reports] == [1, 0, 0]
    refunds = provider_refunds(app, charge=charge.id)
    assert [r["amount"] for r in refunds] == [4200]
    rows = db.session.scalars(select(ProviderMismatch)).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.kind, row.provider_object_id, row.action) == (
        MismatchKind.STRAY_CHARGE,
        charge.id,
        MismatchAction.REFUNDED,
    )
    assert row.user_id == member.id and row.amount == 4200
    assert row.provider_refund_id == refunds[0]["id"]
    assert refunds[0]["metadata"] == {"mismatch_id": str(row.id), "reason": "stray_charge"}
    assert count(Notification, Notification.user_id == member.id) == 1
    emails = db.session.scalars(select(Outbox).where(Outbox.recipient == member.email)).all()
    assert len(emails) == 1
    assert "退款" in emails[0].subject  # in the member's language


def test_a_second_intent_of_a_paid_payment_is_refunded_and_the_first_untouched(
    app, make, card_token
):
    planet = make.planet(price_amount=3000, currency="cny")
    member = make.user()
    since = fresh_second()
    payment = checkouts.start_checkout(planet, Who(member))
    checkouts.confirm_payment(payment, Who(member), card_token())
    db.session.commit()
    first_intent = payment.provider_intent_id
    customer_id = db.session.scalar(
        select(BillingCustomer.provider_customer_id).where(BillingCustomer.user_id == member.id)
    )
    card_id = db.session.get(Payment, payment.id).payment_method_id
    # The same payment confirmed a second time, at the provider only (metadata names it).
    second = sdk(app).v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "cny",
            "customer": customer_id,
            "payment_method": card_id,
            "confirm": True,
            "metadata": {"payment_id": str(payment.id), "planet_id": str(planet.id)},
        }
    )
    assert second.status == "succeeded"
    reports = run_three_times(since)
    assert [r["strays_refunded"] for r in reports] == [1, 0, 0]
    assert [r["amount"] for r in provider_refunds(app, payment_intent=second.id)] == [3000]
    assert provider_refunds(app, payment_intent=first_intent) == []
    db.session.expire_all()
    kept = db.session.get(Payment, payment.id)
    assert kept.provider_intent_id == first_intent
    assert kept.status is PaymentStatus.SUCCEEDED and kept.refunded_amount == 0
    rows = db.session.scalars(select(ProviderMismatch)).all()
    assert [(r.provider_object_id, r.payment_id, r.user_id) for r in rows] == [
        (second.id, payment.id, member.id)
    ]
    refund_notices = count(
        Notification,
        Notification.user_id == member.id,
        Notification.dedupe_key == f"stray:{second.id}",
    )
    assert refund_notices == 1


def test_correct_payments_are_untouched(app, make, card_token):
    planet = make.planet(price_amount=2500, currency="cny")
    since = fresh_second()
    ids = []
    for _ in range(3):
        buyer = make.user()
        payment = checkouts.start_checkout(planet, Who(buyer))
        checkouts.confirm_payment(payment, Who(buyer), card_token())
        ids.append(payment.id)
    db.session.commit()
    run_three_times(since)
    db.session.expire_all()
    assert count(ProviderMismatch) == 0
    for payment_id in ids:
        payment = db.session.get(Payment, payment_id)
        assert payment.status is PaymentStatus.SUCCEEDED and payment.refunded_amount == 0
        assert provider_refunds(app, payment_intent=payment.provider_intent_id) == []


def test_a_refund_made_at_the_provider_is_imported_and_recorded(app, make, card_token):
    planet = make.planet(price_amount=2000, currency="cny")
    buyer = make.user()
    since = fresh_second()
    payment = checkouts.start_checkout(planet, Who(buyer))
    checkouts.confirm_payment(payment, Who(buyer), card_token())
    db.session.commit()
    reconcile.reconcile(since, later())
    db.session.commit()
    refund = sdk(app).v1.refunds.create(
        params={"payment_intent": payment.provider_intent_id, "amount": 500}
    )
    run_three_times(since)
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).refunded_amount == 500
    rows = db.session.scalars(select(ProviderMismatch)).all()
    assert [(r.kind, r.provider_object_id, r.action) for r in rows] == [
        (MismatchKind.UNKNOWN_REFUND, refund.id, MismatchAction.RECORDED)
    ]


def test_the_admin_page_lists_what_was_found_and_others_cannot_see_it(app, client, make, login_as):
    member = make.user(name="Stray Payer")
    now = utcnow()
    for number in range(3):
        db.session.add(
            ProviderMismatch(
                kind=MismatchKind.STRAY_CHARGE,
                provider_object_id=f"ch_test_{number}",
                action=MismatchAction.REFUNDED,
                amount=4200,
                currency="cny",
                user_id=member.id,
                created_at=now,
            )
        )
    db.session.commit()
    login_as(make.user())
    assert client.get("/admin/payments").status_code in (403, 404)
    login_as(make.user(is_platform_admin=True))
    page = client.get("/admin/payments", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("ch_test_2") < html.index("ch_test_1") < html.index("ch_test_0")
    assert "A charge we hold no record of" in html and "Stray Payer" in html
    page = client.get("/admin/payments", headers={"Accept-Language": "zh-CN"})
    assert "一笔我们没有记录的扣款" in page.get_data(as_text=True)
    assert client.get("/admin/payments?mismatches_after=x.1").status_code == 400


def test_a_refund_whose_commit_was_lost_is_not_made_twice(app, make, card_token):
    """The provider refunded, then our transaction was lost (worker killed before commit): the
    next run gets a new row id (a new idempotency key) but looks the charge up first."""
    member = make.user()
    customer_id, card_id = customer_with_card(member, card_token)
    since = fresh_second()
    charge = sdk(app).v1.charges.create(
        params={"amount": 1500, "currency": "cny", "customer": customer_id, "source": card_id}
    )
    assert reconcile.reconcile(since, later())["strays_refunded"] == 1
    db.session.rollback()
    assert count(ProviderMismatch) == 0
    run_three_times(since)
    assert [r["amount"] for r in provider_refunds(app, charge=charge.id)] == [1500]
    row = db.session.scalar(select(ProviderMismatch))
    assert row.action is MismatchAction.REFUNDED and "already refunded" in row.detail
    assert count(Notification, Notification.user_id == member.id) == 1


def test_the_admin_list_pages_by_cursor(app, client, make, login_as, monkeypatch):
    from payments.views import owner

    monkeypatch.setattr(owner, "MISMATCH_PAGE", 2)
    now = utcnow()
    for number in range(5):
        db.session.add(
            ProviderMismatch(
                kind=MismatchKind.REFUNDED_AMOUNT,
                provider_object_id=f"pi_page_{number}",
                action=MismatchAction.NEEDS_HUMAN,
                amount=100,
                currency="cny",
                created_at=now,
            )
        )
    db.session.commit()
    login_as(make.user(is_platform_admin=True))
    seen, url = [], "/admin/payments"
    while url:
        html = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        shown = [f"<code>pi_page_{n}</code>" for n in range(5)]
        shown = sorted((code for code in shown if code in html), key=html.index)
        seen.append([code[6:-7] for code in shown])
        marker = "mismatches_after="
        url = None
        if marker in html:
            cursor = html.split(marker, 1)[1].split('"', 1)[0].split("#", 1)[0]
            url = f"/admin/payments?mismatches_after={cursor}"
    assert seen == [["pi_page_4", "pi_page_3"], ["pi_page_2", "pi_page_1"], ["pi_page_0"]]


def test_the_nightly_sweep_entry_refunds_a_stray_once(app, make, card_token):
    from workers import sweeps

    member = make.user()
    customer_id, card_id = customer_with_card(member, card_token)
    charge = sdk(app).v1.charges.create(
        params={"amount": 900, "currency": "cny", "customer": customer_id, "source": card_id}
    )
    for _ in range(3):
        sweeps.SWEEPS["reconcile"](now=later())
    assert [r["amount"] for r in provider_refunds(app, charge=charge.id)] == [900]
    rows = db.session.scalars(
        select(ProviderMismatch).where(ProviderMismatch.provider_object_id == charge.id)
    ).all()
    assert [(r.action, r.user_id) for r in rows] == [(MismatchAction.REFUNDED, member.id)]
