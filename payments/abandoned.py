"""Payments left waiting for 3-D Secure (the tab was closed during the bank's check).

The buyer may finish the check or start again from the payment's page; a payment still waiting
after `PAYMENT_ACTION_TIMEOUT_MINUTES` is cancelled at the provider, so it can never be charged
later, and its page says so. Every step runs under the payment's row lock.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from payments import grant, states
from payments.declines import failure_text
from payments.gateway import GatewayError, get_gateway
from payments.models import Payment, PaymentStatus
from planet.extensions import db
from planet.models import utcnow

log = logging.getLogger(__name__)

WAITING = (PaymentStatus.REQUIRES_ACTION,)


def timeout() -> timedelta:
    return timedelta(minutes=int(current_app.config["PAYMENT_ACTION_TIMEOUT_MINUTES"]))


def give_up(payment: Payment, now: datetime | None = None) -> bool:
    """The buyer chose to start again: cancel the waiting intent (unless it was paid after
    all). True when the payment is now failed and may be paid afresh."""
    return _cancel(payment, now or utcnow(), only_if_stale=False)


def cancel_if_stale(payment: Payment, now: datetime | None = None) -> bool:
    """Cancel a payment waiting for 3-D Secure longer than the timeout."""
    return _cancel(payment, now or utcnow(), only_if_stale=True)


def _cancel(payment: Payment, now: datetime, *, only_if_stale: bool) -> bool:
    payment = states.lock(payment)
    if payment.status not in WAITING or payment.provider_intent_id is None:
        return payment.status is PaymentStatus.FAILED
    gateway = get_gateway()
    intent = gateway.fetch_payment(payment.provider_intent_id)
    status = intent.get("status")
    if status != "requires_action":  # finished (or failed) meanwhile: record what is true
        grant.sync_payment(payment, now)
        return payment.status is PaymentStatus.FAILED
    started = datetime.fromtimestamp(int(intent.get("created") or 0), now.tzinfo)
    if only_if_stale and now - started < timeout():
        return False
    gateway.cancel_payment(
        payment.provider_intent_id,
        idempotency_key=f"planet-cancel-{payment.id}-{payment.provider_intent_id}",
    )
    grant.mark_payment_failed(payment, failure_text("abandoned", "3-D Secure not finished"))
    log.info("payment %s: 3-D Secure abandoned, intent cancelled", payment.id)
    return True


def sweep_abandoned(now: datetime | None = None, **_) -> dict:
    """Every few minutes: cancel the payments waiting for 3-D Secure past the timeout."""
    now = now or utcnow()
    waiting = db.session.scalars(
        select(Payment.id)
        .where(Payment.status.in_(WAITING), Payment.created_at < now - timeout())
        .order_by(Payment.id)
        .limit(500)
    ).all()
    report = {"cancelled": 0, "errors": 0}
    for payment_id in waiting:
        try:
            if cancel_if_stale(db.session.get(Payment, payment_id), now):
                report["cancelled"] += 1
            db.session.commit()
        except GatewayError as error:
            db.session.rollback()
            log.warning("payment %s: could not cancel: %s", payment_id, error)
            report["errors"] += 1
    return report
