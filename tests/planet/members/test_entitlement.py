"""classify_purchase: the one answer to "is this a join, a renewal or a duplicate, and what
term does it buy" (quote, payment success, auto-renewal and the policy's RENEW rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from planet.members.entitlement import (
    YEAR,
    PurchaseKind,
    Term,
    classify_purchase,
    may_renew,
    paid_term_left,
    renewable,
    renewal_start,
)
from planet.planets.models import Membership, MembershipStatus, Planet, Role

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _planet(**values) -> Planet:
    return Planet(id=1, slug="p", name="P", price_amount=10000, currency="cny", **values)


def _member(expires_in=30 * DAY, status=MembershipStatus.ACTIVE, **values) -> Membership:
    values.setdefault("role", Role.MEMBER)
    values.setdefault("is_trial", False)
    expires_at = None if expires_in is None else NOW + expires_in
    return Membership(planet_id=1, user_id=2, status=status, expires_at=expires_at, **values)


def test_never_joined_is_a_join_from_now():
    purchase = classify_purchase(None, _planet(), NOW)
    assert (purchase.kind, purchase.term) == (PurchaseKind.JOIN, Term.JOIN)
    assert (purchase.starts_at, purchase.ends_at) == (NOW, NOW + YEAR)


def test_an_active_member_renews_early_from_the_current_expiry():
    member = _member(expires_in=30 * DAY)
    purchase = classify_purchase(member, _planet(), NOW)
    assert (purchase.kind, purchase.term) == (PurchaseKind.RENEWAL, Term.EARLY)
    assert purchase.starts_at == member.expires_at
    assert purchase.ends_at == member.expires_at + YEAR


def test_a_member_in_grace_renews_from_the_current_expiry_not_from_now():
    member = _member(expires_in=-2 * DAY, grace_until=NOW + 5 * DAY)
    assert member.is_in_grace_at(NOW)
    for paid_as in (None, "renewal", "auto_renewal"):
        purchase = classify_purchase(member, _planet(), NOW, paid_as=paid_as)
        assert (purchase.kind, purchase.term) == (PurchaseKind.RENEWAL, Term.GRACE)
        assert purchase.starts_at == member.expires_at == NOW - 2 * DAY
        assert purchase.ends_at == NOW - 2 * DAY + YEAR


def test_an_expired_member_renews_from_now():
    member = _member(expires_in=-30 * DAY, status=MembershipStatus.EXPIRED)
    purchase = classify_purchase(member, _planet(), NOW, grace_price_window=7 * DAY)
    assert (purchase.kind, purchase.term) == (PurchaseKind.RENEWAL, Term.RENEWAL)
    assert (purchase.starts_at, purchase.ends_at) == (NOW, NOW + YEAR)


def test_just_expired_is_the_grace_price_term_but_starts_now():
    member = _member(expires_in=-3 * DAY, status=MembershipStatus.EXPIRED)
    purchase = classify_purchase(member, _planet(), NOW, grace_price_window=7 * DAY)
    assert (purchase.kind, purchase.term) == (PurchaseKind.RENEWAL, Term.GRACE)
    assert purchase.starts_at == NOW  # access had ended: the new year starts now
    # Without a grace-price window it is a plain renewal.
    assert classify_purchase(member, _planet(), NOW).term is Term.RENEWAL


@pytest.mark.parametrize(
    "member",
    [
        _member(is_trial=True),
        _member(status=MembershipStatus.REFUNDED),
        _member(status=MembershipStatus.LEFT, expires_in=-DAY),
        _member(status=MembershipStatus.LEFT, is_trial=True),
        _member(status=MembershipStatus.REMOVED),
    ],
    ids=["trial", "refunded", "left-after-the-term", "left-a-trial", "removed"],
)
def test_trial_and_ended_members_join_again(member):
    purchase = classify_purchase(member, _planet(), NOW)
    assert (purchase.kind, purchase.starts_at) == (PurchaseKind.JOIN, NOW)
    assert paid_term_left(member, NOW) is None


def test_a_member_who_left_within_the_paid_term_gets_the_rest_back_for_free():
    member = _member(status=MembershipStatus.LEFT, expires_in=30 * DAY)
    purchase = classify_purchase(member, _planet(), NOW)
    assert purchase.kind is PurchaseKind.RESTORE
    assert (purchase.starts_at, purchase.ends_at) == (NOW, NOW + 30 * DAY)
    assert paid_term_left(member, NOW) == NOW + 30 * DAY
    assert paid_term_left(member, NOW + 30 * DAY) is None  # the term has ended: a join
    assert classify_purchase(member, _planet(), NOW + 30 * DAY).kind is PurchaseKind.JOIN
    # A stored payment is what it was bought as (a join), never a restore.
    assert classify_purchase(member, _planet(), NOW, paid_as="join").kind is PurchaseKind.JOIN
    # A left membership is not active: the one definition says so.
    assert not member.is_entitled_at(NOW)


@pytest.mark.parametrize(
    ("member", "planet", "reason"),
    [
        (_member(), _planet(), "already_member"),
        (_member(role=Role.OWNER, expires_in=None), _planet(), "already_member"),
        (_member(status=MembershipStatus.BANNED), _planet(), "banned"),
        (None, _planet(dissolved_at=NOW - DAY), "dissolved"),
    ],
    ids=["active-member", "owner", "banned", "dissolved"],
)
def test_a_paid_join_that_buys_nothing_is_a_duplicate(member, planet, reason):
    purchase = classify_purchase(member, planet, NOW, paid_as="join")
    assert (purchase.kind, purchase.reason) == (PurchaseKind.DUPLICATE, reason)


def test_a_paid_join_by_a_trial_or_grace_member_is_not_a_duplicate():
    trial = _member(is_trial=True)
    assert classify_purchase(trial, _planet(), NOW, paid_as="join").kind is PurchaseKind.JOIN
    grace = _member(expires_in=-DAY, grace_until=NOW + DAY)
    purchase = classify_purchase(grace, _planet(), NOW, paid_as="join")
    assert (purchase.kind, purchase.starts_at) == (PurchaseKind.JOIN, NOW)


def test_a_paid_renewal_of_a_row_that_cannot_be_renewed_grants_afresh():
    refunded = _member(status=MembershipStatus.REFUNDED)
    purchase = classify_purchase(refunded, _planet(), NOW, paid_as="renewal")
    assert (purchase.kind, purchase.starts_at) == (PurchaseKind.JOIN, NOW)
    assert classify_purchase(None, _planet(), NOW, paid_as="renewal").kind is PurchaseKind.JOIN


def test_a_quote_never_answers_duplicate():
    # Whether one may buy at all is the policy's question; the quote only names the term.
    assert classify_purchase(_member(), _planet(), NOW).kind is PurchaseKind.RENEWAL
    banned = _member(status=MembershipStatus.BANNED)
    assert classify_purchase(banned, _planet(), NOW).kind is PurchaseKind.JOIN


@pytest.mark.parametrize(
    ("status", "trial", "row", "buys_renewal"),
    [
        (MembershipStatus.ACTIVE, False, True, True),
        (MembershipStatus.EXPIRED, False, True, True),
        (MembershipStatus.ACTIVE, True, True, False),
        (MembershipStatus.REFUNDED, False, False, False),
        (MembershipStatus.BANNED, False, False, False),
        (MembershipStatus.LEFT, False, False, False),
    ],
)
def test_who_renews(status, trial, row, buys_renewal):
    member = _member(status=status, is_trial=trial)
    assert renewable(member) is row
    assert may_renew(member) is buys_renewal
    assert not renewable(None) and not may_renew(None)


def test_renewal_start():
    assert renewal_start(_member(expires_in=10 * DAY), NOW) == NOW + 10 * DAY
    in_grace = _member(expires_in=-DAY, grace_until=NOW + DAY)
    assert renewal_start(in_grace, NOW) == NOW - DAY
    grace_over = _member(expires_in=-3 * DAY, grace_until=NOW - DAY)
    assert renewal_start(grace_over, NOW) == NOW
    assert renewal_start(_member(role=Role.OWNER, expires_in=None), NOW) == NOW
