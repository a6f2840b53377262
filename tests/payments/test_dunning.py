"""Dunning: failed auto-renewals are retried inside the planet's grace period, never after
the member's access has ended, and the owner's grace setting is the one honoured."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from payments import dunning, grant, renewals
from payments.models import RenewalAttempt
from planet.extensions import db
from planet.members import expiry
from planet.models import utcnow
from planet.planets.models import (
    DEFAULT_RENEWAL_GRACE_DAYS,
    MAX_RENEWAL_GRACE_DAYS,
    MIN_RENEWAL_GRACE_DAYS,
    Membership,
    MembershipStatus,
)
from tests.payments.conftest import DECLINED
from tests.payments.test_checkout import membership, pay


def _off_session_charges(provider) -> int:
    return sum(
        1
        for r in provider.requests
        if r["path"] == "/v1/payment_intents"
        and r["method"] == "POST"
        and r["params"].get("off_session")
    )


def _declining_renewer(make, provider, planet, expires_in=timedelta(hours=12)):
    """A member with auto-renewal on whose saved card is now declined; expiring soon."""
    buyer = make.user()
    payment, _ = pay(planet, buyer, auto_renew=True)
    grant.sync_payment(payment)
    provider.cards[payment.payment_method_id] = DECLINED
    m = membership(planet, buyer)
    m.expires_at = utcnow() + expires_in
    db.session.commit()
    return m.id, m.expires_at


def test_the_retry_schedule_fits_inside_every_allowed_grace_period():
    expires = utcnow()
    for days in range(MIN_RENEWAL_GRACE_DAYS, MAX_RENEWAL_GRACE_DAYS + 1):
        grace_until = expires + timedelta(days=days)
        due = [renewals.retry_due_at(expires, n) for n in range(1, len(renewals.RETRY_AFTER) + 1)]
        assert due == sorted(due)
        assert all(when < grace_until for when in due), (days, due)
    # The minimum itself is derived from the schedule, not picked apart from it.
    assert (
        timedelta(days=MIN_RENEWAL_GRACE_DAYS) >= renewals.RETRY_AFTER[-1] - renewals.RENEWAL_LEAD
    )


def test_no_retry_charges_a_member_whose_access_has_ended(
    make, provider, paid_planet, smtp_catcher
):
    membership_id, expires = _declining_renewer(make, provider, paid_planet)
    start = utcnow()
    steps = [start] + [
        renewals.retry_due_at(expires, n) for n in range(1, len(renewals.RETRY_AFTER) + 1)
    ]
    grace_end = expires + renewals.grace_period(paid_planet)
    steps += [grace_end, grace_end + timedelta(days=1), grace_end + timedelta(days=30)]
    charged_while, grace_seen = [], set()
    for now in steps:
        expiry.sweep_expiry(now)
        before = _off_session_charges(provider)
        dunning.sweep_renewals(now)
        db.session.expire_all()
        m = db.session.get(Membership, membership_id)
        grace_seen.add(m.grace_until)
        if _off_session_charges(provider) > before:
            charged_while.append((now, m.is_entitled_at(now)))
    # The first charge and every retry ran, each while the member still had access.
    assert len(charged_while) == 1 + len(renewals.RETRY_AFTER)
    assert all(entitled for _, entitled in charged_while), charged_while
    assert grace_end in grace_seen  # access was kept through the planet's grace period
    m = db.session.get(Membership, membership_id)
    assert m.status is MembershipStatus.EXPIRED  # after the grace period, access ended
    attempts = db.session.scalars(
        select(RenewalAttempt.status).where(RenewalAttempt.membership_id == membership_id)
    ).all()
    assert attempts == ["failed"] * (1 + len(renewals.RETRY_AFTER))


def test_an_attempt_due_after_access_ended_is_cancelled_not_charged(make, provider, paid_planet):
    membership_id, expires = _declining_renewer(make, provider, paid_planet)
    dunning.sweep_renewals(utcnow())  # the first charge fails; retry 1 is due at expiry
    late = expires + renewals.grace_period(paid_planet) + timedelta(hours=1)
    retry = db.session.scalar(
        select(RenewalAttempt).where(
            RenewalAttempt.membership_id == membership_id, RenewalAttempt.attempt == 1
        )
    )
    retry.due_at = late  # a sweep that ran late (a worker outage)
    db.session.commit()
    before = _off_session_charges(provider)
    summary = dunning.sweep_renewals(late)
    assert summary.get("cancelled") == 1
    assert _off_session_charges(provider) == before
    db.session.expire_all()
    attempt = db.session.get(RenewalAttempt, retry.id)
    assert (attempt.status, attempt.outcome) == ("cancelled", "access ended")


def test_the_owners_grace_setting_is_honoured(make, provider, paid_planet):
    paid_planet.renewal_grace_days = 10
    db.session.commit()
    membership_id, expires = _declining_renewer(make, provider, paid_planet)
    dunning.sweep_renewals(utcnow())
    m = db.session.get(Membership, membership_id)
    assert m.grace_until == expires + timedelta(days=10)
    assert m.is_entitled_at(expires + timedelta(days=9, hours=23))
    assert not m.is_entitled_at(expires + timedelta(days=10))


@pytest.mark.parametrize(
    ("stored", "days"),
    [(None, DEFAULT_RENEWAL_GRACE_DAYS), (7, 7), (10, 10), (30, 30), (3, MIN_RENEWAL_GRACE_DAYS)],
)
def test_grace_period_reads_the_planet_and_never_goes_below_the_last_retry(
    make, paid_planet, stored, days
):
    paid_planet.renewal_grace_days = stored
    assert renewals.grace_period(paid_planet) == timedelta(days=days)


def test_a_new_planet_gets_the_default_grace(make):
    planet = make.planet()
    db.session.commit()
    assert planet.renewal_grace_days == DEFAULT_RENEWAL_GRACE_DAYS == 7


def test_renewal_outcomes_are_counted_for_metrics(make, provider, paid_planet):
    def counted(outcome: str) -> float:
        value = REGISTRY.get_sample_value("planet_renewal_attempts_total", {"outcome": outcome})
        return value or 0.0

    failed_before = counted("failed")
    succeeded_before = counted("succeeded")
    _declining_renewer(make, provider, paid_planet)
    summary = dunning.sweep_renewals(utcnow())
    assert summary.get("failed") == 1
    assert counted("failed") == failed_before + 1
    assert counted("succeeded") == succeeded_before
