"""Nightly reconciliation: repair what missed webhook events left out."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from payments import services
from payments.gateway import get_gateway
from payments.models import PAID_STATUSES, Payment
from planet.extensions import db
from planet.models import utcnow

log = logging.getLogger(__name__)


def _intents_since(since: datetime):
    """Each PaymentIntent named by a provider event since `since` (the event list reaches 30 days
    back), fetched fresh, plus our own unfinished payments since then."""
    gateway = get_gateway()
    seen: set[str] = set()
    for event in gateway.list_events(int(since.timestamp())):
        obj = (event.get("data") or {}).get("object") or {}
        intent_id = (
            obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
        )
        if intent_id and intent_id not in seen:
            seen.add(intent_id)
            yield gateway.fetch_payment(intent_id)
    unfinished = db.session.scalars(
        select(Payment.provider_intent_id).where(
            Payment.created_at >= since,
            Payment.provider_intent_id.is_not(None),
            Payment.status.in_(["processing", "requires_action", "created"]),
        )
    ).all()
    for intent_id in unfinished:
        if intent_id not in seen:
            seen.add(intent_id)
            yield gateway.fetch_payment(intent_id)


def reconcile(since: datetime, now: datetime | None = None) -> dict:
    """Go through the provider's payments since `since` (its event list, then a fresh fetch):
    grant what succeeded, mark what failed, import refunds made at the provider.
    Returns a drift report (a task body commits)."""
    now = now or utcnow()
    report = {"checked": 0, "granted": 0, "failed": 0, "refunds_imported": 0, "unknown": []}
    for intent in _intents_since(since):
        report["checked"] += 1
        payment = db.session.scalar(
            select(Payment).where(Payment.provider_intent_id == intent["id"])
        )
        if payment is None:
            payment_id = str((intent.get("metadata") or {}).get("payment_id") or "")
            candidate = db.session.get(Payment, int(payment_id)) if payment_id.isdigit() else None
            if candidate is not None and candidate.provider_intent_id is None:
                candidate.provider_intent_id = intent["id"]
                payment = candidate
        if payment is None:
            if intent.get("status") == "succeeded":
                log.warning("reconcile: provider payment %s is unknown to us", intent["id"])
                report["unknown"].append(intent["id"])
            continue
        was_paid = payment.status in PAID_STATUSES
        if intent.get("status") == "succeeded":
            if services.apply_payment_success(payment, intent, now) == "granted" and not was_paid:
                report["granted"] += 1
            report["refunds_imported"] += services.sync_refunds(payment, now)
        elif intent.get("status") in ("requires_payment_method", "canceled") and (
            payment.status not in PAID_STATUSES and payment.status.value != "failed"
        ):
            services.mark_payment_failed(payment, "")
            report["failed"] += 1
    db.session.flush()
    return report
