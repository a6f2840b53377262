"""The fee split and its ledger rows.

The split rule (fixed, documented, property-tested):

1. platform fee  = floor(gross * PLATFORM_FEE_BPS / 10000)
2. referral      = floor(gross * referral_rate_bps / 10000), only with an eligible referrer
3. creator part  = gross - platform - referral
4. each partner  = floor(creator part * share_bps / 10000), in partner id order
5. owner         = creator part - sum(partners)

Every part rounds down and the owner receives the rounding remainder, so the parts add up to the
gross exactly and none is negative (partners' shares add up to at most 100%).

A paid question's money is first held in escrow (one row, party ESCROW) and split only when the
question is answered in time (`question_split`, `write_escrow_release`); a refund before that
reverses the escrow row alone.

A refund of R is reversed across the parties in proportion to what each still holds from that
payment (floor), and the few remaining minor units go, one at a time, to the owner first and then
to the other parties in split order, never beyond what a party still holds. A refund of everything
left therefore returns every party to exactly zero, and partial refunds add up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from payments.models import LedgerEntry, Party, Payment, Refund
from planet.extensions import db

BPS = 10_000


@dataclass(frozen=True)
class Share:
    party: Party
    user_id: int | None
    amount: int

    @property
    def key(self) -> str:
        return f"{self.party}:{self.user_id or 0}"


def split(
    gross: int,
    *,
    fee_bps: int,
    referral_bps: int,
    referrer_id: int | None,
    owner_id: int,
    partners: list[tuple[int, int]],
) -> list[Share]:
    """Split `gross` (>= 0) into shares; `partners` is [(user_id, share_bps)] in a fixed order."""
    if gross < 0:
        raise ValueError("gross must not be negative")
    if not 0 <= fee_bps <= BPS or not 0 <= referral_bps <= BPS // 2:
        raise ValueError("rate out of range")
    if sum(bps for _, bps in partners) > BPS or any(bps <= 0 for _, bps in partners):
        raise ValueError("partner shares must be positive and add up to at most 100%")
    platform = gross * fee_bps // BPS
    referral = gross * referral_bps // BPS if referrer_id is not None else 0
    creator = gross - platform - referral
    shares = [Share(Party.PLATFORM, None, platform)]
    if referrer_id is not None:
        shares.append(Share(Party.REFERRER, referrer_id, referral))
    partner_total = 0
    for user_id, bps in partners:
        amount = creator * bps // BPS
        partner_total += amount
        shares.append(Share(Party.PARTNER, user_id, amount))
    shares.append(Share(Party.OWNER, owner_id, creator - partner_total))
    return shares


def question_split(
    gross: int,
    *,
    fee_bps: int,
    answerer_id: int,
    owner_id: int,
    guest_share_bps: int,
    partners: list[tuple[int, int]],
) -> list[Share]:
    """Split a paid question (or a peek at its answer) like a membership, with the guest who
    answered in the referrer's place:

    1. platform fee = floor(gross * fee_bps / 10000)
    2. guest        = floor((gross - platform) * guest_share_bps / 10000), when a guest answered
    3. partners and the owner share the rest exactly as for a membership (the owner receives
       every rounding remainder), so the parts add up to the gross and none is negative.
    """
    if gross < 0 or not 0 <= guest_share_bps <= BPS:
        raise ValueError("gross or guest share out of range")
    shares = split(
        gross, fee_bps=fee_bps, referral_bps=0, referrer_id=None, owner_id=owner_id, partners=[]
    )
    platform = shares[0].amount
    guest = 0 if answerer_id == owner_id else (gross - platform) * guest_share_bps // BPS
    creator = split(
        gross - platform - guest,
        fee_bps=0,
        referral_bps=0,
        referrer_id=None,
        owner_id=owner_id,
        partners=partners,
    )[1:]
    guest_part = [Share(Party.GUEST, answerer_id, guest)] if answerer_id != owner_id else []
    return [shares[0], *guest_part, *creator]


def reverse(holdings: list[Share], amount: int) -> list[Share]:
    """How much each party gives back for a refund of `amount` (positive numbers).

    `holdings` is what each party still holds from the payment (all >= 0).
    """
    total = sum(share.amount for share in holdings)
    if not 0 < amount <= total:
        raise ValueError("refund larger than what is left of the payment")
    parts = [share.amount * amount // total for share in holdings]
    left = amount - sum(parts)
    order = sorted(range(len(holdings)), key=lambda i: holdings[i].party is not Party.OWNER)
    while left:
        for i in order:
            if left and parts[i] < holdings[i].amount:
                parts[i] += 1
                left -= 1
    return [Share(s.party, s.user_id, part) for s, part in zip(holdings, parts, strict=True)]


# ---------------------------------------------------------------- rows


def fee_bps() -> int:
    return int(current_app.config.get("PLATFORM_FEE_BPS", 500))


def refund_window() -> timedelta:
    return timedelta(hours=int(current_app.config.get("REFUND_WINDOW_HOURS", 72)))


def write_payment_split(payment: Payment, shares: list[Share], now: datetime) -> None:
    available_at = (payment.paid_at or now) + refund_window()
    for share in shares:
        key = f"pay:{payment.id}:{share.key}"
        _add_entry(payment, key, share.party, share.user_id, share.amount, available_at, now)
    db.session.flush()


def write_escrow(payment: Payment, now: datetime) -> None:
    """A paid question's money, held until it is answered (split) or refunded (reversed)."""
    _add_entry(
        payment, f"pay:{payment.id}:{Party.ESCROW}:0", Party.ESCROW, None, payment.amount, now, now
    )
    db.session.flush()


def released(payment: Payment) -> bool:
    key = f"rel:{payment.id}:{Party.ESCROW}:0"
    return db.session.scalar(select(LedgerEntry.id).where(LedgerEntry.entry_key == key)) is not None


def write_escrow_release(
    payment: Payment, shares: list[Share], answered_at: datetime, now: datetime
) -> None:
    """The answer in time: the escrow goes back to zero and the split is written, pending
    through the refund window counted from the answer."""
    held = next(s for s in holdings(payment) if s.party is Party.ESCROW)
    if sum(share.amount for share in shares) != held.amount:
        raise ValueError("the split must add up to what the escrow holds")
    key = f"rel:{payment.id}:{Party.ESCROW}:0"
    _add_entry(payment, key, Party.ESCROW, None, -held.amount, now, now)
    available_at = answered_at + refund_window()
    for share in shares:
        key = f"pay:{payment.id}:{share.key}"
        _add_entry(payment, key, share.party, share.user_id, share.amount, available_at, now)
    db.session.flush()


def _add_entry(
    payment: Payment,
    entry_key: str,
    party: Party,
    user_id: int | None,
    amount: int,
    available_at: datetime,
    now: datetime,
    refund_id: int | None = None,
) -> None:
    """One ledger row of `payment` (split, reversal or fee), unique by `entry_key`."""
    db.session.add(
        LedgerEntry(
            entry_key=entry_key,
            planet_id=payment.planet_id,
            payment_id=payment.id,
            refund_id=refund_id,
            party=party,
            user_id=user_id,
            amount=amount,
            currency=payment.currency,
            available_at=available_at,
            created_at=now,
        )
    )


def holdings(payment: Payment) -> list[Share]:
    """What each party still holds from `payment` (sum of its rows), in split order."""
    rows = db.session.execute(
        select(
            LedgerEntry.party,
            LedgerEntry.user_id,
            func.sum(LedgerEntry.amount),
            func.min(LedgerEntry.id),
        )
        .where(LedgerEntry.payment_id == payment.id, LedgerEntry.party != Party.PROVIDER)
        .group_by(LedgerEntry.party, LedgerEntry.user_id)
        .order_by(func.min(LedgerEntry.id))
    ).all()
    return [Share(party, user_id, int(total)) for party, user_id, total, _ in rows]


def write_refund_reversal(
    payment: Payment, refund: Refund, now: datetime, owner_bears: bool = False
) -> None:
    """Append the negative rows for `refund` (proportional, or all from the owner)."""
    held = holdings(payment)
    if owner_bears:
        owner = next(share for share in held if share.party is Party.OWNER)
        parts = [Share(Party.OWNER, owner.user_id, refund.amount)]
    else:
        parts = reverse(held, refund.amount)
    for share in parts:
        if share.amount == 0:
            continue
        key = f"ref:{refund.id}:{share.key}"
        _add_entry(payment, key, share.party, share.user_id, -share.amount, now, now, refund.id)
    db.session.flush()


def write_dispute_hold(payment: Payment, dispute, now: datetime) -> None:
    """The bank holds `dispute.amount`: each party gives back its share of it, as for a refund
    (what is left of the payment bounds it, after any refunds)."""
    held = holdings(payment)
    amount = min(dispute.amount, sum(share.amount for share in held))
    if amount <= 0:
        return
    for share in reverse(held, amount):
        if share.amount:
            key = f"dis:{dispute.id}:{share.key}"
            _add_entry(payment, key, share.party, share.user_id, -share.amount, now, now)
    db.session.flush()


def write_dispute_release(payment: Payment, dispute, now: datetime) -> None:
    """A won dispute gives each party back exactly what its hold took."""
    held = db.session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.payment_id == payment.id,
            LedgerEntry.entry_key.like(f"dis:{dispute.id}:%"),
        )
    ).all()
    for entry in held:
        key = "won" + entry.entry_key
        _add_entry(payment, key, entry.party, entry.user_id, -entry.amount, now, now)
    db.session.flush()


def record_processing_fee(payment: Payment, fee: int, now: datetime) -> None:
    """The provider's fee, once reported: moved from the platform's part to the provider."""
    if payment.processing_fee is not None or fee <= 0:
        return
    payment.processing_fee = fee
    for party, amount in ((Party.PROVIDER, fee), (Party.PLATFORM, -fee)):
        _add_entry(payment, f"fee:{payment.id}:{party}", party, None, amount, now, now)
    db.session.flush()
