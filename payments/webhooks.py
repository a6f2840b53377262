"""Provider events: verify, store by id (unique), then process after commit, idempotently.

Processing never trusts the event's snapshot for state: it re-fetches the PaymentIntent from the
provider and applies what is true now, so duplicates and any order of a payment's events end in
the same state.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import select

from payments import disputes, grant, refunds
from payments.models import Payment, ProviderEvent
from planet import jobs
from planet.dbutil import insert_ignore
from planet.extensions import db
from planet.models import utcnow

log = logging.getLogger(__name__)

PAYMENT_EVENTS = {
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
}
REFUND_EVENTS = {"charge.refunded", "charge.refund.updated", "refund.created", "refund.updated"}


class UnknownObject(Exception):
    """The event names a payment we never created (logged and refused)."""


def store_event(event: dict) -> tuple[ProviderEvent | None, bool]:
    """Insert the event once (ON CONFLICT DO NOTHING). Returns (row, newly_stored)."""
    values = {
        "event_id": str(event["id"])[:80],
        "type": str(event.get("type", ""))[:80],
        "payload": json.dumps(event, default=str),
        "received_at": utcnow(),
        "outcome": "",
    }
    stored = insert_ignore(ProviderEvent, values, ["event_id"])
    row = db.session.scalar(
        select(ProviderEvent).where(ProviderEvent.event_id == values["event_id"])
    )
    return row, stored


def payment_for(obj: dict) -> Payment | None:
    """Our payment for a PaymentIntent (by its id, then by our metadata)."""
    intent_id = (
        obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    )
    if intent_id:
        payment = db.session.scalar(select(Payment).where(Payment.provider_intent_id == intent_id))
        if payment is not None:
            return payment
    metadata = obj.get("metadata") or {}
    payment_id = str(metadata.get("payment_id") or "")
    if payment_id.isdigit():
        payment = db.session.get(Payment, int(payment_id))
        if payment is not None and obj.get("object") == "payment_intent":
            if payment.provider_intent_id in (None, intent_id):
                payment.provider_intent_id = intent_id
                return payment
            return None
        return payment
    return None


def process_event(event_id: str, now: datetime | None = None) -> str:
    """Apply one stored event (a task body: the caller commits). Idempotent."""
    now = now or utcnow()
    row = db.session.scalar(
        select(ProviderEvent)
        .where(ProviderEvent.event_id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        return "unknown event"
    if row.processed_at is not None:
        return "already processed"
    event = json.loads(row.payload)
    obj = (event.get("data") or {}).get("object") or {}
    if row.type in disputes.EVENTS:
        outcome = disputes.sync_dispute(str(obj.get("id") or ""), now)
    elif row.type in PAYMENT_EVENTS or row.type in REFUND_EVENTS:
        payment = payment_for(obj)
        if payment is None:
            log.info("event %s (%s) names no payment of ours; ignored", event_id, row.type)
            outcome = "ignored: unknown payment"
        elif row.type in PAYMENT_EVENTS:
            outcome = grant.sync_payment(payment, now)
        else:
            outcome = f"refunds imported: {refunds.sync_refunds(payment, now)}"
    else:
        log.info("event %s of type %s ignored", event_id, row.type)
        outcome = "ignored: type"
    row.processed_at = now
    row.outcome = outcome[:255]
    db.session.flush()
    return outcome


def run_process_event(event_id: str, attempts: int = 3) -> str:
    """Task body for "payments.process_event": process, commit; retry on a lost race."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(attempts):
        try:
            outcome = process_event(event_id)
            jobs.commit()
            return outcome
        except (IntegrityError, OperationalError):
            db.session.rollback()
            if attempt == attempts - 1:
                raise
    return "unreachable"
