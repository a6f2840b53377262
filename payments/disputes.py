"""Disputes (chargebacks): the buyer's bank takes a payment back, or tries to.

A dispute event is never trusted for its state: the dispute is fetched from the provider and
applied under the payment's row lock, so a replayed, late or out-of-order event ends in the
same place. While a dispute is open the payment is DISPUTED: the disputed money is held from
every party's share in the ledger and the payment cannot be refunded. A won dispute gives the
shares back; a lost one is a charge-back, and the payment no longer pays for its period.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from payments import ledger, refunds, states
from payments.gateway import get_gateway
from payments.models import Dispute, DisputeStatus, Payment, PaymentStatus
from planet import jobs
from planet.extensions import db

log = logging.getLogger(__name__)

EVENTS = {
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
}

CLOSED = {"won": DisputeStatus.WON, "warning_closed": DisputeStatus.WON, "lost": DisputeStatus.LOST}
"""The provider's closing states (an inquiry closed without a charge-back is a win)."""


def payment_of(dispute: dict) -> Payment | None:
    """Our payment for a provider dispute: by its PaymentIntent, else through its charge."""
    intent_id = dispute.get("payment_intent")
    if not intent_id and dispute.get("charge"):
        intent_id = get_gateway().fetch_charge(str(dispute["charge"])).get("payment_intent")
    if not intent_id:
        return None
    return db.session.scalar(select(Payment).where(Payment.provider_intent_id == intent_id))


def sync_dispute(dispute_id: str, now: datetime) -> str:
    """Bring our rows in line with the provider's dispute `dispute_id` (a task body)."""
    if not dispute_id:
        return "ignored: no dispute id"
    dispute = get_gateway().fetch("dispute", dispute_id)
    payment = payment_of(dispute)
    if payment is None:
        log.warning("dispute %s names no payment of ours", dispute_id)
        return "ignored: unknown payment"
    payment = states.lock(payment)
    row = db.session.scalar(select(Dispute).where(Dispute.provider_dispute_id == dispute["id"]))
    if row is None:
        row = _open(payment, dispute, now)
    closed = CLOSED.get(str(dispute.get("status")))
    if closed is not None and row.status is DisputeStatus.OPEN:
        _close(payment, row, closed, now)
    db.session.flush()
    return f"dispute {row.status}"


def _open(payment: Payment, dispute: dict, now: datetime) -> Dispute:
    row = Dispute(
        payment_id=payment.id,
        provider_dispute_id=str(dispute["id"])[:64],
        amount=max(1, min(int(dispute.get("amount") or payment.amount), payment.amount)),
        reason=str(dispute.get("reason") or "")[:64],
        status=DisputeStatus.OPEN,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    if states.may(payment, PaymentStatus.DISPUTED):
        states.transition(payment, PaymentStatus.DISPUTED)
        ledger.write_dispute_hold(payment, row, now)
    jobs.defer("payments.dispute_opened", dispute_id=row.id)
    return row


def _close(payment: Payment, row: Dispute, outcome: DisputeStatus, now: datetime) -> None:
    row.status = outcome
    row.closed_at = now
    if payment.status is not PaymentStatus.DISPUTED:
        return
    if outcome is DisputeStatus.WON:
        states.dispute_won(payment)
        ledger.write_dispute_release(payment, row, now)
    else:
        states.transition(payment, PaymentStatus.CHARGED_BACK)
        refunds.take_back_period(payment, now)
