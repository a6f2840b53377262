"""Settlement and payouts, called by the workers' schedule.

Earnings are pending until the refund window closes (`available_at`), then available.
`settle_due_earnings(now)` stamps them; `run_payouts(now)` pays each owner, partner and referrer
their available balance: a Stripe Connect transfer (separate charges and transfers) where they
have a connected account, otherwise a payout recorded as payable for a manual transfer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select, update

from payments.gateway import GatewayError, get_gateway
from payments.models import BillingCustomer, LedgerEntry, Party, Payout, PayoutStatus
from planet import jobs
from planet.extensions import db
from planet.models import utcnow

log = logging.getLogger(__name__)
PAID_OUT = (PayoutStatus.PENDING, PayoutStatus.PAID, PayoutStatus.PAYABLE)


def settle_due_earnings(now: datetime | None = None) -> int:
    """Pending -> available for every ledger row whose refund window has closed (a paid
    question's escrow is never settled: it is released by the split or by the refund)."""
    now = now or utcnow()
    result = db.session.execute(
        update(LedgerEntry)
        .where(
            LedgerEntry.settled_at.is_(None),
            LedgerEntry.available_at <= now,
            LedgerEntry.party != Party.ESCROW,
        )
        .values(settled_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: int
    available: int
    paid_out: int


def balances(user_id: int) -> list[Balance]:
    """A person's earnings by currency: pending, available (after payouts), paid out."""
    rows = db.session.execute(
        select(
            LedgerEntry.currency,
            func.sum(case((LedgerEntry.settled_at.is_(None), LedgerEntry.amount), else_=0)),
            func.sum(case((LedgerEntry.settled_at.is_not(None), LedgerEntry.amount), else_=0)),
        )
        .where(LedgerEntry.user_id == user_id)
        .group_by(LedgerEntry.currency)
    ).all()
    paid = dict(
        db.session.execute(
            select(Payout.currency, func.sum(Payout.amount))
            .where(Payout.user_id == user_id, Payout.status.in_(PAID_OUT))
            .group_by(Payout.currency)
        ).all()
    )
    return [
        Balance(
            currency,
            int(pending or 0),
            int(settled or 0) - int(paid.get(currency, 0)),
            int(paid.get(currency, 0)),
        )
        for currency, pending, settled in rows
    ]


def create_due_payouts(now: datetime | None = None) -> list[int]:
    """One pending Payout per person and currency with a positive available balance."""
    now = now or utcnow()
    earned = (
        select(LedgerEntry.user_id, LedgerEntry.currency, func.sum(LedgerEntry.amount).label("s"))
        .where(
            LedgerEntry.settled_at.is_not(None),
            LedgerEntry.user_id.is_not(None),
            LedgerEntry.party.in_([Party.OWNER, Party.PARTNER, Party.REFERRER, Party.GUEST]),
        )
        .group_by(LedgerEntry.user_id, LedgerEntry.currency)
        .subquery()
    )
    paid = (
        select(Payout.user_id, Payout.currency, func.sum(Payout.amount).label("s"))
        .where(Payout.status.in_(PAID_OUT))
        .group_by(Payout.user_id, Payout.currency)
        .subquery()
    )
    rows = db.session.execute(
        select(earned.c.user_id, earned.c.currency, earned.c.s - func.coalesce(paid.c.s, 0))
        .outerjoin(
            paid, and_(paid.c.user_id == earned.c.user_id, paid.c.currency == earned.c.currency)
        )
        .where(earned.c.s - func.coalesce(paid.c.s, 0) > 0)
        .order_by(earned.c.user_id, earned.c.currency)
    ).all()
    ids = []
    for user_id, currency, amount in rows:
        account = db.session.scalar(
            select(BillingCustomer.connected_account_id).where(BillingCustomer.user_id == user_id)
        )
        payout = Payout(
            user_id=user_id,
            amount=int(amount),
            currency=currency,
            status=PayoutStatus.PENDING if account else PayoutStatus.PAYABLE,
            destination=account,
            created_at=now,
        )
        db.session.add(payout)
        db.session.flush()
        ids.append(payout.id)
    return ids


def send_payout(payout_id: int) -> PayoutStatus:
    """Transfer one pending payout to its connected account (idempotency key from its id)."""
    payout = db.session.get(Payout, payout_id, with_for_update=True)
    if payout is None or payout.status is not PayoutStatus.PENDING:
        return payout.status if payout else PayoutStatus.FAILED
    try:
        transfer = get_gateway().transfer(
            amount=payout.amount,
            currency=payout.currency,
            destination=payout.destination,
            transfer_group=f"planet-payout-{payout.id}",
            metadata={"payout_id": payout.id, "user_id": payout.user_id},
            idempotency_key=f"planet-payout-{payout.id}",
        )
    except GatewayError as error:
        log.warning("payout %s failed: %s", payout.id, error)
        payout.failure_message = str(error)[:255]
        return payout.status  # stays pending: retried with the same key next run
    payout.provider_transfer_id = transfer.get("id")
    payout.status = PayoutStatus.PAID
    db.session.flush()
    return payout.status


def run_payouts(now: datetime | None = None) -> dict:
    """Task body: create the due payouts (commit), then transfer each (commit after each).

    Rows are committed before the provider is called, so a crash in between retries the same
    payout id (and idempotency key) instead of creating a second transfer.
    """
    now = now or utcnow()
    create_due_payouts(now)
    jobs.commit()
    pending = db.session.scalars(
        select(Payout.id).where(Payout.status == PayoutStatus.PENDING).order_by(Payout.id)
    ).all()
    report = {"paid": 0, "pending": 0}
    for payout_id in pending:
        status = send_payout(payout_id)
        jobs.commit()
        report["paid" if status is PayoutStatus.PAID else "pending"] += 1
    report["payable"] = db.session.scalar(
        select(func.count(Payout.id)).where(Payout.status == PayoutStatus.PAYABLE)
    )
    return report


# ---------------------------------------------------------------- periodic job bodies


def sweep_settlement(now: datetime | None = None, **_) -> dict:
    """The hourly job: settle what the refund window released, then commit."""
    settled = settle_due_earnings(now or utcnow())
    jobs.commit()
    return {"settled": settled}


def sweep_payouts(now: datetime | None = None, **_) -> dict:
    """The weekly job: pay out available balances, then commit."""
    report = run_payouts(now or utcnow())
    jobs.commit()
    return report
