"""The periodic sweeps. Due work is found through indexed due dates (memberships' (status,
expires_at) index, renewal attempts' (status, due_at) index) and claimed in batches with row
locks (FOR UPDATE SKIP LOCKED on PostgreSQL), so several workers and an overlapping sweep never
process the same row twice. Each batch commits, then sends the emails it queued."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select

from planet import jobs
from planet.extensions import db
from planet.models import utcnow
from planet.notifications import outbox
from planet.planets.models import Membership, MembershipStatus
from workers import billing, locks
from workers.models import ReminderSent, RenewalAttempt

log = logging.getLogger("workers.sweeps")
BATCH = 500
REMINDER_LOOKBACK = timedelta(days=2)
RENEWAL_LEAD = timedelta(days=1)
RENEWAL_LOOKBACK = timedelta(days=30)

Progress = Callable[[int], None] | None


def _locking(statement, *of):
    if db.engine.dialect.name == "postgresql":
        return statement.with_for_update(skip_locked=True, of=of or None)
    return statement


def _commit_batch() -> None:
    jobs.commit()
    outbox.deliver_new()


def count_expiry_due(now: datetime) -> int:
    due = _expiry_due(now, None).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(due))


def _expiry_due(now: datetime, limit: int | None):
    statement = (
        select(Membership)
        .where(
            Membership.status == MembershipStatus.ACTIVE,
            Membership.expires_at <= now,
            or_(Membership.grace_until.is_(None), Membership.grace_until <= now),
        )
        .order_by(Membership.expires_at, Membership.id)
    )
    return statement.limit(limit) if limit else statement


def sweep_expiry(now: datetime | None = None, batch: int = BATCH, progress: Progress = None):
    """Record every membership whose access ended (after any grace) and tell the member."""
    now = now or utcnow()
    expired = seen = 0
    passed: set[int] = set()
    while True:
        claimed, ended = _expire_batch(now, batch, passed)
        if not claimed:
            break
        _commit_batch()
        seen += claimed
        expired += ended
        if progress:
            progress(claimed)
        if not ended and claimed < batch:
            break
    db.session.rollback()
    return {"expired": expired, "seen": seen}


def _expire_batch(now: datetime, batch: int, passed: set[int]) -> tuple[int, int]:
    """Claim a batch of due memberships and expire them (uncommitted): (claimed, ended).

    The batch's rows are referenced only in here, so once the batch commits they drop out of
    the session; kept, every later commit (each inline job's) would expire all of them again.
    """
    statement = _expiry_due(now, batch)
    if passed:
        statement = statement.where(Membership.id.not_in(passed))
    rows = list(db.session.scalars(_locking(statement, Membership)))
    ended = {m.id for m in billing.expire_due(rows, now)}
    # The policy says these are still active (an owner, a member in grace): skip them.
    passed.update(m.id for m in rows if m.id not in ended)
    return len(rows), len(ended)


def sweep_reminders(now: datetime | None = None, batch: int = BATCH, progress: Progress = None):
    """7-day and 1-day renewal reminders, each once per membership period."""
    now = now or utcnow()
    sent = {}
    for kind, ahead in billing.REMINDERS.items():
        sent[kind] = 0
        after = (now + ahead - REMINDER_LOOKBACK, 0)
        while True:
            statement = (
                select(Membership)
                .where(
                    Membership.status == MembershipStatus.ACTIVE,
                    Membership.expires_at > now,
                    Membership.expires_at <= now + ahead,
                    or_(
                        Membership.expires_at > after[0],
                        and_(Membership.expires_at == after[0], Membership.id > after[1]),
                    ),
                    ~exists().where(
                        ReminderSent.membership_id == Membership.id,
                        ReminderSent.kind == kind,
                        ReminderSent.period_end == Membership.expires_at,
                    ),
                )
                .order_by(Membership.expires_at, Membership.id)
                .limit(batch)
            )
            rows = list(db.session.scalars(_locking(statement, Membership)))
            if not rows:
                break
            after, claimed = (rows[-1].expires_at, rows[-1].id), len(rows)
            sent[kind] += billing.remind_due(rows, kind, now)
            del rows  # as in _expire_batch: once committed, the rows should leave the session
            _commit_batch()
            if progress:
                progress(claimed)
    db.session.rollback()
    return {"reminded_7d": sent["7d"], "reminded_1d": sent["1d"]}


def sweep_renewals(now: datetime | None = None, batch: int = BATCH, progress: Progress = None):
    """Auto-renewal: schedule this period's first charge a day before expiry, then run every
    due attempt (first charges and retries), one locked attempt per transaction."""
    from payments.models import AutoRenewal

    now = now or utcnow()
    scheduled = 0
    while True:
        rows = db.session.execute(
            select(Membership.id, Membership.expires_at)
            .join(AutoRenewal, AutoRenewal.membership_id == Membership.id)
            .where(
                Membership.status == MembershipStatus.ACTIVE,
                Membership.expires_at <= now + RENEWAL_LEAD,
                Membership.expires_at > now - RENEWAL_LOOKBACK,
                AutoRenewal.enabled.is_(True),
                ~exists().where(
                    RenewalAttempt.membership_id == Membership.id,
                    RenewalAttempt.period_end == Membership.expires_at,
                    RenewalAttempt.attempt == 0,
                ),
            )
            .limit(batch)
        ).all()
        if not rows:
            break
        for membership_id, expires_at in rows:
            scheduled += billing.schedule_first_attempt(membership_id, expires_at, now)
        db.session.commit()
    outcomes: dict[str, int] = {}
    while True:
        attempt = db.session.scalar(
            _locking(
                select(RenewalAttempt)
                .where(RenewalAttempt.status == "due", RenewalAttempt.due_at <= now)
                .order_by(RenewalAttempt.due_at, RenewalAttempt.id)
                .limit(1),
                RenewalAttempt,
            )
        )
        if attempt is None:
            break
        try:
            outcome = billing.run_attempt(attempt, now)
        except billing.ProviderUnavailable:
            outcome = "provider_error"
        _commit_batch()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if progress:
            progress(1)
    db.session.rollback()
    return {"scheduled": scheduled, **outcomes}


def sweep_settlement(now: datetime | None = None, progress: Progress = None, **_):
    from payments.settlement import settle_due_earnings

    settled = settle_due_earnings(now or utcnow())
    jobs.commit()
    return {"settled": settled}


def sweep_payouts(now: datetime | None = None, progress: Progress = None, **_):
    from payments.settlement import run_payouts

    report = run_payouts(now or utcnow())
    jobs.commit()
    return report


def sweep_reconcile(now: datetime | None = None, progress: Progress = None, **_):
    """Nightly: compare our payments and refunds with the provider's since the last run (with
    an hour's overlap), repair what a missed webhook left out, and report any drift."""
    from payments.reconcile import reconcile

    now = now or utcnow()
    last = locks.last_finished("reconcile")
    since = (last.started_at - timedelta(hours=1)) if last else now - timedelta(days=3)
    report = reconcile(since, now)
    jobs.commit()
    drift = {k: v for k, v in report.items() if k != "checked" and v}
    if drift:
        log.warning("reconciliation drift since %s: %s", since.isoformat(), drift)
    return report


SWEEPS = {
    "expiry": sweep_expiry,
    "reminders": sweep_reminders,
    "renewals": sweep_renewals,
    "settlement": sweep_settlement,
    "payouts": sweep_payouts,
    "reconcile": sweep_reconcile,
}
