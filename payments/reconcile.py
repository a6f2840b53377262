"""Nightly reconciliation: repair what missed webhook events left out."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from payments import grant, mismatches, refunds
from payments.gateway import GatewayError, get_gateway
from payments.models import PAID_STATUSES, Payment
from planet import jobs
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


def _apply_intent(intent: dict, now: datetime, report: dict) -> bool:
    """Bring our payment for this intent in line; False when no payment of ours owns it."""
    payment = mismatches.payment_by_intent(intent["id"])
    if payment is None:
        payment_id = str((intent.get("metadata") or {}).get("payment_id") or "")
        candidate = db.session.get(Payment, int(payment_id)) if payment_id.isdigit() else None
        if candidate is not None and candidate.provider_intent_id is None:
            candidate.provider_intent_id = intent["id"]
            payment = candidate
    if payment is None:
        return False
    was_paid = payment.status in PAID_STATUSES
    if intent.get("status") == "succeeded":
        if grant.apply_payment_success(payment, intent, now) == "granted" and not was_paid:
            report["granted"] += 1
        report["refunds_imported"] += refunds.sync_refunds(payment, now)
    elif intent.get("status") in ("requires_payment_method", "canceled") and (
        payment.status not in PAID_STATUSES and payment.status.value != "failed"
    ):
        grant.mark_payment_failed(payment, "")
        report["failed"] += 1
    return True


STRAY_GRACE = timedelta(minutes=10)
"""A charge younger than this may belong to a checkout whose transaction has not committed
yet: it is left for the next run (the window overlaps by an hour)."""


def _stray(charge: dict | None, intent: dict | None, now: datetime, report: dict) -> None:
    object_id = (intent or charge or {}).get("id")
    created = int((intent or charge or {}).get("created") or 0)
    if created > (now - STRAY_GRACE).timestamp():
        report["strays_deferred"] += 1
        return
    log.warning("reconcile: provider payment %s is unknown to us", object_id)
    report["unknown"].append(object_id)
    outcome = mismatches.record_stray(charge, intent, now)
    if outcome == "refunded":
        report["strays_refunded"] += 1
    elif outcome == "pending":
        report["errors"].append(f"stray {object_id}: refund failed")


def _charges_since(since: datetime, handled: set[str], now: datetime, report: dict) -> None:
    """Every succeeded charge since `since` that our payments do not account for is a stray:
    a bare charge (ours always go through a PaymentIntent), or an intent no payment owns."""
    gateway = get_gateway()
    try:
        for charge in gateway.list_charges(int(since.timestamp()) - 1):
            if charge.get("status") != "succeeded" or charge.get("captured") is False:
                continue
            intent_id = charge.get("payment_intent")
            if intent_id in handled or mismatches.payment_by_intent(intent_id) is not None:
                continue
            intent = None
            if intent_id:
                handled.add(intent_id)
                intent = gateway.fetch_payment(intent_id)
                report["checked"] += 1
                if _apply_intent(intent, now, report):
                    continue
            _stray(charge, intent, now, report)
    except GatewayError as error:
        log.warning("reconcile: the provider's charges could not be listed: %s", error)
        report["errors"].append(f"charges: {error}"[:200])


def reconcile(since: datetime, now: datetime | None = None) -> dict:
    """Go through the provider's payments since `since` (its event list, then a fresh fetch):
    grant what succeeded, mark what failed, import refunds made at the provider. Then its
    charges and refunds: a charge no payment accounts for is recorded and refunded once, and
    refunds that do not match our rows are recorded (payments.mismatches).
    Returns a drift report (a task body commits)."""
    now = now or utcnow()
    report = {
        "checked": 0,
        "granted": 0,
        "failed": 0,
        "refunds_imported": 0,
        "unknown": [],
        "strays_refunded": 0,
        "strays_deferred": 0,
        "mismatches": 0,
        "errors": [],
    }
    handled: set[str] = set()
    for intent in _intents_since(since):
        report["checked"] += 1
        handled.add(intent["id"])
        if not _apply_intent(intent, now, report) and intent.get("status") == "succeeded":
            _stray(None, intent, now, report)
    _charges_since(since, handled, now, report)
    for outcome in mismatches.retry_pending_strays(now):
        report["strays_refunded"] += outcome == "refunded"
    mismatches.check_refunds(since, now, report)
    db.session.flush()
    return report


FIRST_RUN_LOOKBACK = timedelta(days=3)
"""Without an earlier run, look this far back (Stripe retries a webhook for up to 3 days)."""
OVERLAP = timedelta(hours=1)


def sweep_reconcile(now: datetime | None = None, last_started: datetime | None = None) -> dict:
    """The nightly job: reconcile since the last run (with an hour's overlap), commit, and
    report any drift."""
    now = now or utcnow()
    since = (last_started - OVERLAP) if last_started else now - FIRST_RUN_LOOKBACK
    report = reconcile(since, now)
    jobs.commit()
    drift = {k: v for k, v in report.items() if k != "checked" and v}
    if drift:
        log.warning("reconciliation drift since %s: %s", since.isoformat(), drift)
    return report
