"""Checkout, success, refunds, coupons, referrals, trials and renewal pricing (fake provider)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments import checkout, grant, ledger, pricing, refunds
from payments.models import (
    CouponKind,
    LedgerEntry,
    Party,
    Payment,
    PaymentStatus,
    Refund,
)
from planet import jobs
from planet.errors import Conflict, NotAllowed, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus
from planet.policy import Action, may
from tests.payments.conftest import DECLINED, THREE_DS, UNKNOWN_TOKEN


class Who:
    """A stand-in for current_user in service calls."""

    def __init__(self, user):
        self.id, self.email, self.is_authenticated = user.id, user.email, True
        self.is_platform_admin = False


def pay(planet, user, token="tok_ok", **kwargs):  # noqa: S107 - a test card token
    payment = checkout.start_checkout(planet, Who(user), **kwargs)
    outcome = checkout.confirm_payment(payment, Who(user), token)
    return payment, outcome


def membership(planet, user):
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.planet_id == planet.id, Membership.user_id == user.id)
    )


def ledger_sum(payment_id):
    return db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.payment_id == payment_id
        )
    )


def test_paid_join_grants_only_after_verified_success(make, provider, paid_planet):
    buyer = make.user()
    payment, outcome = pay(paid_planet, buyer)
    assert outcome.status == "succeeded"
    assert payment.status is PaymentStatus.PROCESSING
    assert membership(paid_planet, buyer) is None  # the browser's answer grants nothing
    assert grant.sync_payment(payment) == "granted"
    m = membership(paid_planet, buyer)
    assert m.status is MembershipStatus.ACTIVE
    assert may(Who(buyer), Action.READ, paid_planet)
    assert ledger_sum(payment.id) == 10000
    parties = {e.party: e.amount for e in db.session.scalars(select(LedgerEntry))}
    assert parties[Party.PLATFORM] == 500 and parties[Party.OWNER] == 9500
    # Exact provider requests: idempotency keys from our stored ids.
    created = [
        r for r in provider.requests if r["path"] == "/v1/payment_intents" and r["method"] == "POST"
    ]
    assert created[0]["idempotency_key"] == f"planet-payment-{payment.id}-1"
    assert created[0]["params"]["amount"] == "10000"
    assert created[0]["params"]["transfer_group"] == f"planet-payment-{payment.id}"
    assert grant.sync_payment(payment) == "already applied"
    assert ledger_sum(payment.id) == 10000
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 2


def test_declined_card_grants_nothing(make, provider, paid_planet):
    buyer = make.user()
    payment, outcome = pay(paid_planet, buyer, token=DECLINED)
    assert outcome.status == "failed" and "declined" in outcome.message
    assert payment.status is PaymentStatus.FAILED
    assert membership(paid_planet, buyer) is None
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == 0


def test_a_card_token_the_provider_does_not_know_is_a_400(
    make, provider, paid_planet, client, login_as
):
    buyer = make.user()
    payment = checkout.start_checkout(paid_planet, Who(buyer))
    db.session.commit()
    login_as(buyer)

    response = client.post(f"/payments/{payment.id}/confirm", json={"token": UNKNOWN_TOKEN})

    assert response.status_code == 400
    assert "卡" in response.get_json()["reason"]  # what to do, in the page's language
    assert not [r for r in provider.requests if r["path"] == "/v1/payment_intents"]
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status is PaymentStatus.CREATED


def test_three_d_secure_hands_back_the_client_secret(make, provider, paid_planet):
    buyer = make.user()
    payment, outcome = pay(paid_planet, buyer, token=THREE_DS)
    assert outcome.status == "requires_action" and outcome.client_secret.endswith("_secret_x")
    assert grant.sync_payment(payment) == "requires_action"
    provider.succeed(payment.provider_intent_id)
    assert grant.sync_payment(payment) == "granted"


def test_tampered_amount_and_bad_prices_refused(make, provider, paid_planet):
    buyer = make.user()
    with pytest.raises(Conflict):
        checkout.start_checkout(paid_planet, Who(buyer), expected_amount=1)
    assert db.session.scalar(select(func.count(Payment.id))) == 0
    for bad in (-1, 0, pricing.MAX_PRICE + 1):
        with pytest.raises(ServiceError):
            pricing.update_pricing(paid_planet, Who(paid_planet.owner), renewal_price=bad)
    with pytest.raises(ServiceError):
        pricing.update_pricing(paid_planet, Who(paid_planet.owner), referral_rate_bps=5001)


def test_unsupported_currency_refused(make, provider):
    planet = make.planet(price_amount=500, currency="xyz")
    with pytest.raises(ServiceError):
        checkout.start_checkout(planet, Who(make.user()))


def test_coupons(make, provider, paid_planet):
    owner = Who(paid_planet.owner)
    pricing.create_coupon(
        paid_planet,
        owner,
        code="half",
        kind=CouponKind.PERCENT,
        value=50,
        max_uses=1,
        expires_at=None,
    )
    pricing.create_coupon(
        paid_planet,
        owner,
        code="old",
        kind=CouponKind.FIXED,
        value=100,
        max_uses=None,
        expires_at=utcnow() - timedelta(days=1),
    )
    other = make.planet(price_amount=10000)
    pricing.create_coupon(
        other,
        Who(other.owner),
        code="OTHER",
        kind=CouponKind.FIXED,
        value=100,
        max_uses=None,
        expires_at=None,
    )
    db.session.commit()
    first = checkout.start_checkout(paid_planet, Who(make.user()), coupon_code="HALF")
    assert first.amount == 5000 and first.list_price == 10000
    with pytest.raises(Conflict):  # used up
        checkout.start_checkout(paid_planet, Who(make.user()), coupon_code="half")
    with pytest.raises(ServiceError):  # expired
        checkout.start_checkout(paid_planet, Who(make.user()), coupon_code="OLD")
    with pytest.raises(ServiceError):  # another planet's
        checkout.start_checkout(paid_planet, Who(make.user()), coupon_code="OTHER")
    with pytest.raises(ServiceError):
        pricing.create_coupon(
            paid_planet,
            owner,
            code="BAD",
            kind=CouponKind.PERCENT,
            value=101,
            max_uses=None,
            expires_at=None,
        )


def test_referral_commission_and_self_referral(make, provider, paid_planet):
    pricing.update_pricing(paid_planet, Who(paid_planet.owner), referral_rate_bps=2000)
    referrer = make.user()
    make.member(paid_planet, referrer)
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer, ref=pricing.referral_code(paid_planet, referrer.id))
    grant.sync_payment(payment)
    rows = {(e.party, e.user_id): e.amount for e in db.session.scalars(select(LedgerEntry))}
    assert rows[(Party.REFERRER, referrer.id)] == 2000
    assert rows[(Party.PLATFORM, None)] == 500
    assert rows[(Party.OWNER, paid_planet.owner_id)] == 7500
    intent = provider.intents[payment.provider_intent_id]
    assert intent["metadata"]["referrer_id"] == str(referrer.id)
    # A self-referral (or a non-member's link) earns nothing.
    lone = make.user()
    code = pricing.referral_code(paid_planet, lone.id)
    payment2 = checkout.start_checkout(paid_planet, Who(lone), ref=code)
    assert payment2.referrer_id is None
    stranger = pricing.referral_code(paid_planet, make.user().id)
    payment3 = checkout.start_checkout(paid_planet, Who(make.user()), ref=stranger)
    assert payment3.referrer_id is None
    # A bare id (the old, unsigned links) or another planet's code credits nobody either.
    payment4 = checkout.start_checkout(paid_planet, Who(make.user()), ref=str(referrer.id))
    assert payment4.referrer_id is None
    other = pricing.referral_code(make.planet(price_amount=100), referrer.id)
    payment5 = checkout.start_checkout(paid_planet, Who(make.user()), ref=other)
    assert payment5.referrer_id is None


def test_partners_share_the_creator_part(make, provider, paid_planet):
    partner = make.user()
    pricing.set_partner(paid_planet, Who(paid_planet.owner), partner.id, 3000)
    with pytest.raises(ServiceError):
        pricing.set_partner(paid_planet, Who(paid_planet.owner), make.user().id, 7001)
    payment, _ = pay(paid_planet, make.user())
    grant.sync_payment(payment)
    rows = {(e.party, e.user_id): e.amount for e in db.session.scalars(select(LedgerEntry))}
    assert rows[(Party.PARTNER, partner.id)] == 2850  # 30% of 9500
    assert rows[(Party.OWNER, paid_planet.owner_id)] == 6650


def test_member_refund_within_window_revokes_and_reverses(make, provider, paid_planet):
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer)
    grant.sync_payment(payment)
    refund = refunds.refund_payment(payment, Who(buyer))
    assert refund.amount == 10000
    assert payment.status is PaymentStatus.REFUNDED
    assert membership(paid_planet, buyer).status is MembershipStatus.REFUNDED
    assert not may(Who(buyer), Action.READ, paid_planet, now=utcnow())
    assert ledger_sum(payment.id) == 0
    sent = [r for r in provider.requests if r["path"] == "/v1/refunds" and r["method"] == "POST"]
    assert sent[0]["idempotency_key"] == f"planet-refund-{refund.id}"
    with pytest.raises(Conflict):
        refunds.refund_payment(payment, Who(buyer))


def test_refund_after_window_or_of_someone_else(make, provider, paid_planet):
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer)
    grant.sync_payment(payment)
    with pytest.raises(NotFound):
        refunds.refund_payment(payment, Who(make.user()))
    late = utcnow() + timedelta(hours=73)
    with pytest.raises(NotAllowed) as error:
        refunds.refund_payment(payment, Who(buyer), now=late)
    assert "72" in str(error.value)
    assert db.session.scalar(select(func.count(Refund.id))) == 0
    # The owner may still refund, from their own balance.
    refund = refunds.refund_payment(payment, Who(paid_planet.owner), 3000, now=late)
    assert refund.owner_bears
    rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.refund_id == refund.id)).all()
    assert [(r.party, r.amount) for r in rows] == [(Party.OWNER, -3000)]
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED


def test_partial_refunds_add_up(make, provider, paid_planet):
    pricing.update_pricing(paid_planet, Who(paid_planet.owner), referral_rate_bps=1234)
    pricing.set_partner(paid_planet, Who(paid_planet.owner), make.user().id, 3333)
    referrer = make.user()
    make.member(paid_planet, referrer)
    code = pricing.referral_code(paid_planet, referrer.id)
    payment, _ = pay(paid_planet, make.user(), ref=code)
    grant.sync_payment(payment)
    owner = Who(paid_planet.owner)
    for amount in (1, 2999, 333, 6667):
        refunds.refund_payment(payment, owner, amount)
    assert payment.refunded_amount == 10000 and payment.status is PaymentStatus.REFUNDED
    for share in ledger.holdings(payment):
        assert share.amount == 0, share
    with pytest.raises(ServiceError):
        refunds.refund_payment(payment, owner, 1)


def test_second_join_while_active_is_refunded(make, provider, paid_planet):
    buyer = make.user()
    first = checkout.start_checkout(paid_planet, Who(buyer))
    second = checkout.start_checkout(paid_planet, Who(buyer))
    checkout.confirm_payment(first, Who(buyer), "tok_ok")
    checkout.confirm_payment(second, Who(buyer), "tok_ok")
    assert grant.sync_payment(first) == "granted"
    assert grant.sync_payment(second) == "duplicate refunded"
    assert second.status is PaymentStatus.REFUNDED and second.duplicate
    assert ledger_sum(second.id) == 0
    assert membership(paid_planet, buyer).status is MembershipStatus.ACTIVE


def test_renewal_terms(make, provider, paid_planet):
    pricing.update_pricing(
        paid_planet,
        Who(paid_planet.owner),
        renewal_price=8000,
        early_renewal_price=6000,
        grace_price=7000,
        grace_days=7,
    )
    early = make.user()
    m = make.member(paid_planet, early, expires_in=timedelta(days=30))
    offer = checkout.quote(paid_planet, Who(early))
    assert (offer.term, offer.amount) == ("early", 6000)
    grace = make.user()
    make.member(paid_planet, grace, expires_in=timedelta(days=-3))
    assert checkout.quote(paid_planet, Who(grace)).amount == 7000
    late = make.user()
    make.member(paid_planet, late, expires_in=timedelta(days=-30))
    assert checkout.quote(paid_planet, Who(late)).term == "renewal"
    assert checkout.quote(paid_planet, Who(late)).amount == 8000
    # Renewal extends from the current expiry.
    before = m.expires_at
    payment, _ = pay(paid_planet, early)
    grant.sync_payment(payment)
    assert membership(paid_planet, early).expires_at == before + timedelta(days=365)


def test_free_planet_and_trial(make, provider, client, login_as):
    free = make.planet(price_amount=0)
    user = make.user()
    login_as(user)
    response = client.post(f"/p/{free.slug}/join-free")
    assert response.status_code == 302
    assert membership(free, user).status is MembershipStatus.ACTIVE
    paid = make.planet(price_amount=9900)
    pricing.update_pricing(paid, Who(paid.owner), trial_days=7)
    db.session.commit()
    assert client.post(f"/p/{paid.slug}/trial").status_code == 302
    m = membership(paid, user)
    assert m.is_trial and m.expires_at < utcnow() + timedelta(days=8)
    assert client.post(f"/p/{paid.slug}/trial").status_code in (409, 400)
    # A trial member can pay to join; the year starts now.
    offer = checkout.quote(paid, Who(user))
    assert offer.term == "join"


def test_dissolved_planet_refunds_unused_time(make, provider, paid_planet):
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer)
    grant.sync_payment(payment)
    payment.period_start = payment.period_end - timedelta(days=365)
    half = payment.period_start + timedelta(days=182, hours=12)
    paid_planet.dissolved_at = half
    count = refunds.refund_unused_time(paid_planet, now=half)
    assert count == 1
    assert payment.refunded_amount == 5000
    assert membership(paid_planet, buyer).status is MembershipStatus.REFUNDED
    assert ledger_sum(payment.id) == 5000


def test_dissolved_job_is_registered(make, provider, paid_planet):
    payment, _ = pay(paid_planet, make.user())
    grant.sync_payment(payment)
    jobs.commit()
    paid_planet.dissolved_at = utcnow()
    jobs.defer("planets.dissolved", planet_id=paid_planet.id)
    jobs.commit()
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).refunded_amount > 9900


def test_replayed_and_stale_events_are_no_ops_through_the_state_machine(
    make, provider, paid_planet
):
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer)
    assert grant.sync_payment(payment) == "granted"
    rows = db.session.scalar(select(func.count(LedgerEntry.id)))
    # A stale failure and a replayed success change nothing (AlreadyPaid is caught).
    grant.mark_payment_failed(payment, "card_declined: late event")
    assert payment.status is PaymentStatus.SUCCEEDED and not payment.failure_message
    assert grant.apply_payment_success(payment, None, utcnow()) == "already applied"
    assert db.session.scalar(select(func.count(LedgerEntry.id))) == rows
    refunds.refund_payment(payment, Who(buyer))
    assert payment.status is PaymentStatus.REFUNDED
    grant.mark_payment_failed(payment, "late")
    assert grant.sync_payment(payment) == "already applied"
    assert payment.status is PaymentStatus.REFUNDED


def test_a_member_in_grace_renews_from_the_expiry_and_an_expired_one_from_now(
    make, provider, paid_planet
):
    in_grace = make.user()
    m = make.member(paid_planet, in_grace, expires_in=timedelta(days=-2))
    m.grace_until = utcnow() + timedelta(days=5)
    db.session.commit()
    expiry = m.expires_at
    offer = checkout.quote(paid_planet, Who(in_grace))
    assert (offer.kind, offer.term) == ("renewal", "grace")
    payment, _ = pay(paid_planet, in_grace)
    assert grant.sync_payment(payment) == "granted"
    renewed = membership(paid_planet, in_grace)
    assert renewed.expires_at == expiry + timedelta(days=365)  # not now + a year
    assert renewed.grace_until is None
    assert payment.period_start == expiry

    expired = make.user()
    old = make.member(paid_planet, expired, expires_in=timedelta(days=-40))
    old.status = MembershipStatus.EXPIRED
    db.session.commit()
    payment, _ = pay(paid_planet, expired)
    before = utcnow()
    assert grant.sync_payment(payment) == "granted"
    assert membership(paid_planet, expired).expires_at >= before + timedelta(days=365)
