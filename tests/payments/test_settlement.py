"""Settlement (pending -> available after the refund window), payouts, renewals, reconcile."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from payments import grant, reconcile, renewals, settlement
from payments.gateway import StripeGateway
from payments.models import BillingCustomer, Payment, PaymentStatus, Payout, PayoutStatus
from planet.extensions import db
from planet.models import utcnow
from tests.payments.test_checkout import membership, pay


def test_earnings_settle_after_the_window_and_pay_out(make, provider, paid_planet):
    payment, _ = pay(paid_planet, make.user())
    grant.sync_payment(payment)
    owner_id = paid_planet.owner_id
    [balance] = settlement.balances(owner_id)
    assert (balance.pending, balance.available) == (9500, 0)
    assert settlement.settle_due_earnings(utcnow()) == 0
    later = utcnow() + timedelta(hours=73)
    assert settlement.settle_due_earnings(later) == 2
    [balance] = settlement.balances(owner_id)
    assert (balance.pending, balance.available) == (0, 9500)
    # No connected account: recorded as payable for a manual payout.
    report = settlement.run_payouts(later)
    assert report["payable"] == 1
    payout = db.session.scalar(select(Payout))
    assert (payout.amount, payout.status) == (9500, PayoutStatus.PAYABLE)
    assert settlement.balances(owner_id)[0].available == 0
    assert settlement.run_payouts(later)["payable"] == 1  # nothing new


def test_payout_to_connected_account_is_a_transfer_with_our_key(make, provider, paid_planet):
    db.session.add(BillingCustomer(user_id=paid_planet.owner_id, connected_account_id="acct_1"))
    payment, _ = pay(paid_planet, make.user())
    grant.sync_payment(payment)
    later = utcnow() + timedelta(hours=73)
    settlement.settle_due_earnings(later)
    provider.fail_transfers = True
    assert settlement.run_payouts(later)["pending"] == 1
    provider.fail_transfers = False
    assert settlement.run_payouts(later)["paid"] == 1
    payout = db.session.scalar(select(Payout))
    assert payout.status is PayoutStatus.PAID
    sent = [r for r in provider.requests if r["path"] == "/v1/transfers"]
    assert {r["idempotency_key"] for r in sent} == {f"planet-payout-{payout.id}"}
    assert sent[-1]["params"]["destination"] == "acct_1"
    assert sent[-1]["params"]["transfer_group"] == f"planet-payout-{payout.id}"
    assert len(provider.transfers) == 1


def test_auto_renewal_charges_off_session_once(make, provider, paid_planet):
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer, auto_renew=True)
    grant.sync_payment(payment)
    m = membership(paid_planet, buyer)
    assert renewals.charge_renewal(m.id) is renewals.RenewalOutcome.SKIPPED  # not due yet
    m.expires_at = utcnow() + timedelta(days=5)
    db.session.commit()
    expires = m.expires_at
    assert renewals.charge_renewal(m.id) is renewals.RenewalOutcome.SUCCEEDED
    assert membership(paid_planet, buyer).expires_at == expires + timedelta(days=365)
    assert renewals.charge_renewal(m.id) is renewals.RenewalOutcome.SKIPPED
    renewal = db.session.scalar(select(Payment).where(Payment.kind == "auto_renewal"))
    sent = [
        r
        for r in provider.requests
        if r["path"] == "/v1/payment_intents" and r["params"].get("off_session")
    ]
    period = int(expires.timestamp())
    assert renewal is not None
    assert [r["idempotency_key"] for r in sent] == [f"planet-renewal-{m.id}-{period}-1"]


def test_a_lost_renewal_row_retries_with_the_same_key(make, provider, paid_planet, app):
    """A worker killed after the provider charged but before our Payment row committed."""
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer, auto_renew=True)
    grant.sync_payment(payment)
    m = membership(paid_planet, buyer)
    m.expires_at = utcnow() + timedelta(days=5)
    db.session.commit()
    first = renewals.renewal_key(m)
    renewals.charge_renewal(m.id)
    db.session.rollback()  # the worker died: nothing it wrote was committed
    pay(paid_planet, make.user())  # others pay meanwhile: row ids move on
    db.session.commit()
    renewals.charge_renewal(m.id)
    keys = [
        r["idempotency_key"]
        for r in provider.requests
        if r["path"] == "/v1/payment_intents" and r["params"].get("off_session")
    ]
    assert keys == [first, first]


def test_reconcile_restores_missed_events(make, provider, paid_planet):
    buyers = [make.user() for _ in range(5)]
    payments = [pay(paid_planet, b)[0] for b in buyers]
    assert all(p.status is PaymentStatus.PROCESSING for p in payments)
    report = reconcile.reconcile(utcnow() - timedelta(days=1))
    assert report["granted"] == 5
    assert all(membership(paid_planet, b) is not None for b in buyers)
    assert reconcile.reconcile(utcnow() - timedelta(days=1))["granted"] == 0


def test_gateway_sends_exact_requests(fake_stripe):
    http = fake_stripe(
        {
            ("POST", "/v1/payment_intents"): {
                "id": "pi_1",
                "object": "payment_intent",
                "status": "succeeded",
            }
        }
    )
    gateway = StripeGateway(
        "sk_test_1", "http://stripe.local", http_client=http, max_network_retries=0
    )
    gateway.create_payment(
        amount=123,
        currency="cny",
        customer_id="cus_1",
        payment_method_id="card_1",
        metadata={"payment_id": 9},
        idempotency_key="planet-payment-9-1",
        transfer_group="g",
    )
    [request] = http.requests
    assert request["path"] == "/v1/payment_intents"
    assert request["idempotency_key"] == "planet-payment-9-1"
    assert request["authorization"] == "Bearer sk_test_1"
    assert request["params"] == {
        "amount": "123",
        "currency": "cny",
        "customer": "cus_1",
        "payment_method": "card_1",
        "confirm": "true",
        "metadata[payment_id]": "9",
    }  # no transfer_group without Connect
