"""The split rule: sums to the gross exactly, no negative part, refunds return every party to 0."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payments.ledger import BPS, Party, reverse, split


@st.composite
def payments(draw):
    gross = draw(st.integers(min_value=0, max_value=10_000_000))
    fee = draw(st.integers(min_value=0, max_value=BPS))
    referral = draw(st.integers(min_value=0, max_value=BPS // 2))
    referrer = draw(st.one_of(st.none(), st.just(7)))
    count = draw(st.integers(min_value=0, max_value=5))
    shares = draw(st.lists(st.integers(min_value=1, max_value=BPS), min_size=count, max_size=count))
    total, partners = 0, []
    for i, bps in enumerate(shares):
        if total + bps <= BPS:
            partners.append((100 + i, bps))
            total += bps
    refunds = draw(st.lists(st.integers(min_value=1, max_value=10_000_000), max_size=4))
    return gross, fee, referral, referrer, partners, refunds


@settings(max_examples=10_000, deadline=None)
@given(payments())
def test_split_sums_to_gross_and_refunds_return_to_zero(case):
    gross, fee, referral, referrer, partners, refunds = case
    if fee + (referral if referrer else 0) > BPS:
        fee = BPS - referral
    shares = split(
        gross,
        fee_bps=fee,
        referral_bps=referral,
        referrer_id=referrer,
        owner_id=1,
        partners=partners,
    )
    assert sum(s.amount for s in shares) == gross
    assert all(s.amount >= 0 for s in shares)
    assert shares[0].amount == gross * fee // BPS
    if gross == 0:
        return
    held = list(shares)
    refunded = 0
    for amount in refunds:  # partial refunds, then whatever is left
        left = gross - refunded
        if left == 0:
            break
        amount = min(amount, left)
        back = reverse(held, amount)
        assert sum(b.amount for b in back) == amount
        assert all(0 <= b.amount <= h.amount for b, h in zip(back, held, strict=True))
        held = [
            type(h)(h.party, h.user_id, h.amount - b.amount)
            for h, b in zip(held, back, strict=True)
        ]
        refunded += amount
    if gross - refunded:
        back = reverse(held, gross - refunded)
        held = [
            type(h)(h.party, h.user_id, h.amount - b.amount)
            for h, b in zip(held, back, strict=True)
        ]
    assert all(h.amount == 0 for h in held)


def test_remainder_goes_to_the_owner():
    shares = split(
        999, fee_bps=500, referral_bps=1000, referrer_id=2, owner_id=1, partners=[(3, 3333)]
    )
    assert [(s.party, s.amount) for s in shares] == [
        (Party.PLATFORM, 49),
        (Party.REFERRER, 99),
        (Party.PARTNER, 283),
        (Party.OWNER, 568),
    ]


@pytest.mark.parametrize("bad", [{"gross": -1}, {"partners": [(3, 6000), (4, 5000)]}])
def test_bad_split_input(bad):
    args = dict(gross=100, fee_bps=500, referral_bps=0, referrer_id=None, owner_id=1, partners=[])
    args.update(bad)
    with pytest.raises(ValueError):
        split(args.pop("gross"), **args)
