"""What reconciliation finds at the provider that our rows do not account for.

- A succeeded charge no payment of ours accounts for (made behind Planet's back, or the second
  intent of a double-confirmed payment) is recorded once (a `ProviderMismatch` row, unique per
  provider object) and refunded once: the provider is asked first what is still unrefunded, and
  the refund's idempotency key comes from the row's id, so a re-run or a retry after a lost
  commit never refunds twice. The member (from the metadata or the customer) is told once.
- A refund at the provider we had no row for is imported with its ledger reversal (the money
  has left: our ledger must say so before anything is paid out) and recorded for a human.
- Refunded amounts that still disagree (ours vs the provider's) are recorded for a human and
  never changed automatically.

Services flush, never commit (the reconcile task commits).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from payments import refunds
from payments.gateway import GatewayError, get_gateway
from payments.models import (
    BillingCustomer,
    MismatchAction,
    MismatchKind,
    Payment,
    ProviderMismatch,
    Refund,
)
from planet.accounts.models import User
from planet.extensions import db
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Planet
from planet.web.links import external_url

log = logging.getLogger(__name__)
LIVE_REFUND_STATUSES = ("succeeded", "pending")


def _digits(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 18 else None


def payment_by_intent(intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return db.session.scalar(select(Payment).where(Payment.provider_intent_id == intent_id))


def _record(kind: MismatchKind, object_id: str, **values) -> tuple[ProviderMismatch, bool]:
    """The row for (kind, object), created once (a concurrent run's row wins). Locked."""
    statement = (
        select(ProviderMismatch)
        .where(ProviderMismatch.kind == kind, ProviderMismatch.provider_object_id == object_id)
        .with_for_update()
    )
    row = db.session.scalar(statement)
    if row is not None:
        return row, False
    try:
        with db.session.begin_nested():
            row = ProviderMismatch(kind=kind, provider_object_id=object_id, **values)
            db.session.add(row)
    except IntegrityError:
        return db.session.scalar(statement), False
    return row, True


# ---------------------------------------------------------------- stray charges


def _owner_of(metadata: dict, customer_id: str | None) -> tuple[int | None, Payment | None]:
    """Who paid: the payment the metadata names, else its user_id, else the customer's user."""
    named = db.session.get(Payment, _digits(metadata.get("payment_id")) or 0)
    if named is not None:
        return named.user_id, named
    user_id = _digits(metadata.get("user_id"))
    if user_id is None and customer_id:
        user_id = db.session.scalar(
            select(BillingCustomer.user_id).where(
                BillingCustomer.provider_customer_id == customer_id
            )
        )
    return user_id, None


def _charge_id(charge: dict | None, intent: dict | None) -> str | None:
    if charge is not None:
        return charge.get("id")
    latest = (intent or {}).get("latest_charge")
    return latest.get("id") if isinstance(latest, dict) else latest


def record_stray(charge: dict | None, intent: dict | None, now: datetime) -> str:
    """Record and refund (once) a succeeded charge no payment of ours accounts for, and tell
    the member. The object is the PaymentIntent when there is one, else the bare charge.
    Returns what happened: "refunded", "pending" (the refund failed; retried next run) or
    "known" (found and handled before)."""
    source = intent or charge or {}
    object_id = (intent or {}).get("id") or (charge or {}).get("payment_intent") or source["id"]
    metadata = dict((intent or {}).get("metadata") or {}) or dict(
        (charge or {}).get("metadata") or {}
    )
    user_id, named = _owner_of(metadata, source.get("customer"))
    if user_id is not None and db.session.get(User, user_id) is None:
        user_id = None  # metadata naming someone who is not (or no longer) here
    row, _created = _record(
        MismatchKind.STRAY_CHARGE,
        object_id,
        action=MismatchAction.PENDING,
        amount=int(source.get("amount") or 0),
        currency=str(source.get("currency") or "")[:3],
        user_id=user_id,
        payment_id=named.id if named is not None else None,
        detail=f"names payment {named.id}, which has another intent" if named else "",
        created_at=now,
    )
    if row.action is not MismatchAction.PENDING:
        return "known"
    charge_id = _charge_id(charge, intent)
    gateway = get_gateway()
    try:
        if not charge_id:
            raise GatewayError("no charge to refund")
        fresh = gateway.fetch_charge(charge_id)
        remaining = int(fresh.get("amount") or 0) - int(fresh.get("amount_refunded") or 0)
        if remaining > 0:
            result = gateway.refund_charge(
                charge_id=charge_id,
                amount=remaining,
                metadata={"mismatch_id": row.id, "reason": "stray_charge"},
                idempotency_key=f"planet-stray-refund-{row.id}",
            )
            row.provider_refund_id = result.get("id")
        else:
            row.detail = (row.detail + "; already refunded at the provider").lstrip("; ")[:255]
    except GatewayError as error:
        log.warning("reconcile: refund of stray charge %s failed: %s", object_id, error)
        row.detail = f"refund failed: {error}"[:255]
        db.session.flush()
        return "pending"
    row.action = MismatchAction.REFUNDED
    row.resolved_at = now
    db.session.flush()
    _tell_member(row, named, metadata)
    return "refunded"


def retry_pending_strays(now: datetime) -> list[str]:
    """Stray charges whose refund failed earlier, whatever the window (one fetch each)."""
    gateway = get_gateway()
    outcomes = []
    pending = db.session.scalars(
        select(ProviderMismatch).where(
            ProviderMismatch.kind == MismatchKind.STRAY_CHARGE,
            ProviderMismatch.action == MismatchAction.PENDING,
        )
    ).all()
    for row in pending:
        try:
            if row.provider_object_id.startswith("pi_"):
                found = (None, gateway.fetch_payment(row.provider_object_id))
            else:
                found = (gateway.fetch_charge(row.provider_object_id), None)
        except GatewayError as error:
            log.warning("reconcile: stray %s not fetched: %s", row.provider_object_id, error)
            continue
        outcomes.append(record_stray(*found, now))
    return outcomes


def _tell_member(row: ProviderMismatch, named: Payment | None, metadata: dict) -> None:
    """A refund notice (in-app and email through the outbox, in the member's language), once
    per provider object whatever happens to the row."""
    if row.user_id is None:
        return
    planet_id = named.planet_id if named is not None else _digits(metadata.get("planet_id"))
    planet = db.session.get(Planet, planet_id) if planet_id else None
    data = {
        "amount": notifications.format_amount(row.amount, row.currency or "cny"),
        "link": external_url("payments.my_memberships"),
    }
    if planet is None:
        data["planet"] = "Planet"
    notifications.notify(
        row.user_id, Kind.REFUND_DONE, f"stray:{row.provider_object_id}", planet=planet, data=data
    )


# ---------------------------------------------------------------- refunds


def _payment_of_refund(item: dict) -> Payment | None:
    intent_id = item.get("payment_intent")
    if not intent_id and item.get("charge"):
        intent_id = get_gateway().fetch_charge(item["charge"]).get("payment_intent")
    return payment_by_intent(intent_id)


def check_refunds(since: datetime, now: datetime, report: dict) -> None:
    """Import refunds made at the provider we had no row for (recorded for a human), then
    compare refunded amounts of every payment with a refund since `since`, ours or theirs."""
    gateway = get_gateway()
    touched: dict[int, Payment] = {}
    try:
        recent = list(gateway.list_recent_refunds(int(since.timestamp())))
        for item in recent:
            if item.get("status") not in LIVE_REFUND_STATUSES:
                continue
            known = db.session.scalar(select(Refund).where(Refund.provider_refund_id == item["id"]))
            if known is not None:
                payment = db.session.get(Payment, known.payment_id)
                touched.setdefault(known.payment_id, payment)
                # made outside Planet, imported by the intent pass: still worth a human's look
                if known.reason == "provider" and _record_unknown_refund(item, payment, True, now):
                    report["mismatches"] += 1
                continue
            ours = db.session.scalar(
                select(ProviderMismatch.id).where(ProviderMismatch.provider_refund_id == item["id"])
            )
            if ours is not None:
                continue  # our refund of a stray charge
            payment = _payment_of_refund(item)
            if payment is None:
                continue  # a refund of a charge we never had: the stray pass looks at charges
            touched[payment.id] = payment
            our_id = _digits((item.get("metadata") or {}).get("refund_id"))
            mine = db.session.get(Refund, our_id) if our_id else None
            imported = refunds.sync_refunds(payment, now)
            report["refunds_imported"] += imported
            if mine is not None and mine.payment_id == payment.id:
                continue  # our own refund whose answer we missed: linked, not a mismatch
            if _record_unknown_refund(item, payment, imported > 0, now):
                report["mismatches"] += 1
        ours_since = db.session.scalars(
            select(Payment)
            .join(Refund, Refund.payment_id == Payment.id)
            .where(Refund.created_at >= since)
        ).unique()
        for payment in ours_since:
            touched.setdefault(payment.id, payment)
        for payment in touched.values():
            if payment is not None and _compare_refunded(payment, now):
                report["mismatches"] += 1
    except GatewayError as error:
        log.warning("reconcile: the provider's refunds could not be compared: %s", error)
        report["errors"].append(f"refunds: {error}"[:200])


def _record_unknown_refund(item: dict, payment: Payment, imported: bool, now: datetime) -> bool:
    _row, created = _record(
        MismatchKind.UNKNOWN_REFUND,
        item["id"],
        action=MismatchAction.RECORDED if imported else MismatchAction.NEEDS_HUMAN,
        amount=int(item.get("amount") or 0),
        currency=str(item.get("currency") or payment.currency)[:3],
        user_id=payment.user_id,
        payment_id=payment.id,
        provider_refund_id=item["id"],
        detail="imported with its ledger reversal" if imported else "not imported",
        created_at=now,
    )
    return created


def _compare_refunded(payment: Payment, now: datetime) -> bool:
    """Record (for a human) a payment whose refunded amount differs from the provider's."""
    if not payment.provider_intent_id:
        return False
    theirs = sum(
        int(item.get("amount") or 0)
        for item in get_gateway().list_refunds(payment.provider_intent_id)
        if item.get("status") in LIVE_REFUND_STATUSES
    )
    if theirs == payment.refunded_amount:
        return False
    _row, created = _record(
        MismatchKind.REFUNDED_AMOUNT,
        payment.provider_intent_id,
        action=MismatchAction.NEEDS_HUMAN,
        amount=theirs - payment.refunded_amount,
        currency=payment.currency,
        user_id=payment.user_id,
        payment_id=payment.id,
        detail=f"refunded here {payment.refunded_amount}, at the provider {theirs}",
        created_at=now,
    )
    return created
