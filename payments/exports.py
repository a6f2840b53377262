"""The money part of an export (planet/exports/sections.py): payments and their ledger split.

A planet's owner gets every payment into the planet and every ledger row; a person gets their
own payments (the ledger rows paid to them are in their earnings page, not repeated here)."""

from __future__ import annotations

from sqlalchemy import select

from payments.models import LedgerEntry, Payment
from planet.exports.sections import as_json, columns, register
from planet.extensions import db

PAYMENT_FIELDS = ("id", "planet_id", "user_id", "kind", "status", "amount", "list_price",
                  "currency", "paid_at", "refunded_amount", "period_start", "period_end",
                  "created_at")  # fmt: skip
LEDGER_FIELDS = ("id", "payment_id", "refund_id", "party", "user_id", "amount", "currency",
                 "available_at", "settled_at", "created_at")  # fmt: skip


def money(scope):
    if scope.planet_id is not None:
        payments = select(Payment).where(Payment.planet_id == scope.planet_id)
        ledger = select(LedgerEntry).where(LedgerEntry.planet_id == scope.planet_id)
        yield (
            "ledger.json",
            as_json(
                [
                    columns(row, *LEDGER_FIELDS)
                    for row in db.session.scalars(ledger.order_by(LedgerEntry.id))
                ]
            ),
        )
    else:
        payments = select(Payment).where(Payment.user_id == scope.user_id)
    yield (
        "payments.json",
        as_json(
            [
                columns(row, *PAYMENT_FIELDS)
                for row in db.session.scalars(payments.order_by(Payment.id))
            ]
        ),
    )


register("money", money)
