"""Income reports: an owner's planet income, a person's earnings, the platform's fees.

Aggregates over indexed columns (planet_id/created_at, user_id/settled_at, status/id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from payments.models import PAID_STATUSES, LedgerEntry, Party, Payment, Refund, RefundStatus
from planet.extensions import db


@dataclass
class IncomeSummary:
    currency: str
    gross: int = 0
    refunds: int = 0
    platform_fees: int = 0
    processing_fees: int = 0
    commissions: int = 0
    partners: int = 0
    owner_net: int = 0
    owner_pending: int = 0
    owner_available: int = 0
    payments: int = 0
    days: list[dict] = field(default_factory=list)


def planet_income(planet, now: datetime, days: int = 30) -> IncomeSummary:
    summary = IncomeSummary(currency=planet.currency)
    gross = db.session.execute(
        select(func.count(Payment.id), func.coalesce(func.sum(Payment.amount), 0)).where(
            Payment.planet_id == planet.id, Payment.status.in_(PAID_STATUSES)
        )
    ).one()
    summary.payments, summary.gross = int(gross[0]), int(gross[1])
    summary.refunds = int(
        db.session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0))
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Payment.planet_id == planet.id, Refund.status == RefundStatus.SUCCEEDED)
        )
    )
    rows = db.session.execute(
        select(
            LedgerEntry.party,
            LedgerEntry.user_id,
            func.sum(LedgerEntry.amount),
            func.sum(case((LedgerEntry.settled_at.is_(None), LedgerEntry.amount), else_=0)),
        )
        .where(LedgerEntry.planet_id == planet.id)
        .group_by(LedgerEntry.party, LedgerEntry.user_id)
    ).all()
    for party, user_id, total, pending in rows:
        is_owner = user_id == planet.owner_id
        total, pending = int(total or 0), int(pending or 0)
        if party is Party.PLATFORM:
            summary.platform_fees += total
        elif party is Party.PROVIDER:
            summary.processing_fees += total
        elif party is Party.REFERRER:
            summary.commissions += total
        elif party in (Party.PARTNER, Party.GUEST):  # the creator's part shared with others
            summary.partners += total
        elif party is Party.OWNER and is_owner:
            summary.owner_net += total
            summary.owner_pending += pending
    summary.owner_available = summary.owner_net - summary.owner_pending
    summary.days = income_by_day(planet.id, now, days)
    return summary


def _ledger_sums(planet_id: int, since: datetime, until: datetime | None = None):
    """A select of gross (split parts in), refunds (parts taken back) and the owner's part of a
    planet's ledger rows written in [since, until); the caller adds grouping."""
    statement = select(
        func.sum(case((LedgerEntry.amount > 0, LedgerEntry.amount), else_=0)),
        func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount), else_=0)),
        func.sum(case((LedgerEntry.party == Party.OWNER, LedgerEntry.amount), else_=0)),
    ).where(
        LedgerEntry.planet_id == planet_id,
        LedgerEntry.created_at >= since,
        LedgerEntry.party != Party.ESCROW,  # held money is income once it is split
    )
    if until is not None:
        statement = statement.where(LedgerEntry.created_at < until)
    return statement


def income_by_day(planet_id: int, now: datetime, days: int = 30) -> list[dict]:
    day = func.date(LedgerEntry.created_at)
    rows = db.session.execute(
        _ledger_sums(planet_id, now - timedelta(days=days))
        .add_columns(day)
        .group_by(day)
        .order_by(day)
    ).all()
    return [
        {"day": str(d), "gross": int(g or 0), "refunds": int(r or 0), "owner": int(o or 0)}
        for g, r, o, d in rows
    ]


def income_between(planet_id: int, since: datetime, until: datetime) -> dict:
    """Gross, refunds and the owner's part from the ledger rows written in [since, until)."""
    gross, refunds, owner = db.session.execute(_ledger_sums(planet_id, since, until)).one()
    return {"gross": int(gross or 0), "refunds": int(refunds or 0), "owner": int(owner or 0)}


def earnings_by_planet(user_id: int) -> list[tuple[int, str, str, int, int]]:
    """(planet_id, party, currency, total, pending) for one person."""
    rows = db.session.execute(
        select(
            LedgerEntry.planet_id,
            LedgerEntry.party,
            LedgerEntry.currency,
            func.sum(LedgerEntry.amount),
            func.sum(case((LedgerEntry.settled_at.is_(None), LedgerEntry.amount), else_=0)),
        )
        .where(LedgerEntry.user_id == user_id)
        .group_by(LedgerEntry.planet_id, LedgerEntry.party, LedgerEntry.currency)
        .order_by(LedgerEntry.planet_id)
    ).all()
    return [(p, str(party), c, int(t or 0), int(pe or 0)) for p, party, c, t, pe in rows]


def platform_fee_income() -> list[tuple[str, int, int]]:
    """(currency, platform fees net of refunds and processing fees, processing fees)."""
    rows = db.session.execute(
        select(
            LedgerEntry.currency,
            func.sum(case((LedgerEntry.party == Party.PLATFORM, LedgerEntry.amount), else_=0)),
            func.sum(case((LedgerEntry.party == Party.PROVIDER, LedgerEntry.amount), else_=0)),
        )
        .where(LedgerEntry.party.in_([Party.PLATFORM, Party.PROVIDER]))
        .group_by(LedgerEntry.currency)
    ).all()
    return [(c, int(f or 0), int(p or 0)) for c, f, p in rows]
