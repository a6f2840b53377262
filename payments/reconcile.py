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


def reconcile(since: datetime, now: datetime | None = None) -> dict:
    """List the provider's PaymentIntents created since `since`; grant what succeeded, mark what
    failed, import refunds made at the provider. Returns a drift report (a task body commits)."""
    now = now or utcnow()
    report = {"checked": 0, "granted": 0, "failed": 0, "refunds_imported": 0, "unknown": []}
    for intent in get_gateway().list_payments(int(since.timestamp())):
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
