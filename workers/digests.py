"""Digest fan-out: one task per batch of memberships; exactly one email per member, planet and
period (the outbox key `digest:<membership>:<frequency>:<period>`), however often a batch is
retried or the whole run repeated."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from planet.accounts.models import User
from planet.extensions import db
from planet.models import utcnow
from planet.notifications import digest, outbox
from planet.notifications.models import DigestFrequency, DigestSubscription, Outbox
from planet.planets.models import Membership, Planet
from workers.app import celery

log = logging.getLogger("workers.digests")


def batch_size() -> int:
    """Members per digest task (DIGEST_BATCH_SIZE, planet.config)."""
    from flask import current_app

    return int(current_app.config["DIGEST_BATCH_SIZE"])


def period_of(frequency: DigestFrequency, now: datetime) -> tuple[str, datetime, datetime]:
    """(period key, since, until) of the period that ends at the most recent boundary."""
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency is DigestFrequency.DAILY:
        return day_start.strftime("%Y-%m-%d"), day_start - timedelta(days=1), day_start
    week_start = day_start - timedelta(days=day_start.weekday())
    year, week, _ = week_start.isocalendar()
    return f"{year}W{week:02d}", week_start - timedelta(days=7), week_start


def due_memberships(
    frequency: DigestFrequency, after_id: int, limit: int, now: datetime | None = None
) -> tuple[list[int], int | None]:
    """One keyset page of memberships active at `now`, members in grace included (the next
    `limit` after `after_id`, on the primary key) and those of them whose digest choice is
    `frequency` (no row means weekly). Returns (the due ids, the page's last id; None past the end).

    Paging on memberships before joining the choices keeps every page an index range: a join
    first, ordered and limited afterwards, read every membership after `after_id` each time."""
    page = (
        select(Membership.id, Membership.user_id, Membership.planet_id)
        .where(Membership.active_at(now or utcnow()), Membership.id > after_id)
        .order_by(Membership.id)
        .limit(limit)
        .subquery()
    )
    if frequency is DigestFrequency.WEEKLY:
        chosen = or_(DigestSubscription.id.is_(None), DigestSubscription.frequency == frequency)
    else:
        chosen = DigestSubscription.frequency == frequency
    rows = db.session.execute(
        select(page.c.id, chosen.label("due"))
        .outerjoin(
            DigestSubscription,
            (DigestSubscription.user_id == page.c.user_id)
            & (DigestSubscription.planet_id == page.c.planet_id),
        )
        .order_by(page.c.id)
    ).all()
    return [row.id for row in rows if row.due], (rows[-1].id if rows else None)


def fan_out(frequency: DigestFrequency, now: datetime | None = None, progress=None) -> dict:
    now = now or utcnow()
    key, since, until = period_of(frequency, now)
    after = batches = members = 0
    size = batch_size()
    while True:
        ids, last = due_memberships(frequency, after, size, now)
        db.session.rollback()
        if last is None:
            break
        after = last
        if not ids:
            continue
        send_batch.apply_async(
            args=[ids, frequency.value, key, since.isoformat(), until.isoformat()],
            queue="mail",
        )
        batches += 1
        members += len(ids)
        if progress:
            progress(len(ids))
    return {"period": key, "batches": batches, "members": members}


def fan_out_daily(now: datetime | None = None, progress=None) -> dict:
    return fan_out(DigestFrequency.DAILY, now, progress)


def fan_out_weekly(now: datetime | None = None, progress=None) -> dict:
    return fan_out(DigestFrequency.WEEKLY, now, progress)


def run_batch(
    membership_ids: list[int], frequency: DigestFrequency, key: str, since, until
) -> dict:
    """Queue every digest of the batch (one INSERT, one commit), then deliver the batch's
    unsent emails (including those a killed earlier run queued but never sent)."""
    now = utcnow()
    rows = db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.id.in_(membership_ids))
        .order_by(Membership.planet_id, Membership.id)
    ).all()
    purposes = [digest.digest_purpose(m.id, frequency, key) for m, _ in rows]
    queued_before = outbox.queued_among(
        [(user.email, purpose) for (_, user), purpose in zip(rows, purposes, strict=True)]
    )
    sources: dict[int, digest.DigestSource] = {}
    emails: list[outbox.Email] = []
    for (membership, user), purpose in zip(rows, purposes, strict=True):
        if user.email and (user.email.lower(), purpose) in queued_before:
            continue
        source = sources.get(membership.planet_id)
        if source is None:
            planet = db.session.get(Planet, membership.planet_id)
            source = sources[membership.planet_id] = digest.DigestSource.load(planet, since, until)
        email = digest.digest_email(source, user, membership, frequency, key, now)
        if email is not None:
            emails.append(email)
    queued = len(outbox.queue_emails(emails))
    empty = len(rows) - len(queued_before) - len(emails)
    db.session.commit()
    outbox.forget_new()
    unsent = list(
        db.session.scalars(
            select(Outbox.id).where(Outbox.purpose.in_(purposes), Outbox.sent_at.is_(None))
        )
    )
    db.session.rollback()
    sent, failed = outbox.deliver(unsent)  # on a connection of its own: the session is idle
    return {"queued": queued, "empty": empty, "sent": sent, "failed": failed}


@celery.task(name="workers.digests.send_batch", acks_late=True)
def send_batch(membership_ids, frequency, key, since, until) -> dict:
    from celery import current_task

    summary = run_batch(
        membership_ids,
        DigestFrequency(frequency),
        key,
        datetime.fromisoformat(since),
        datetime.fromisoformat(until),
    )
    task_id = getattr(getattr(current_task, "request", None), "id", None) or "inline"
    log.info("task %s digest batch %s (%d members): %s", task_id, key, len(membership_ids), summary)
    return summary
