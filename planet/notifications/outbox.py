"""The email outbox: every email is a row keyed by (recipient, purpose), so however often a
job runs, each purpose is sent once.

    queue_email(to, "digest:12:weekly:2026W07", subject, text, html)   # in the transaction
    ...commit...
    deliver_new()                                                     # after the commit

A row left unsent (SMTP down, worker killed) is retried by `deliver_due()` from the relay.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from planet.extensions import db
from planet.models import utcnow
from planet.notifications.models import Outbox

log = logging.getLogger(__name__)
_NEW_KEY = "planet_outbox_new"
# The first delivery happens right after commit; the relay waits this long before retrying.
FIRST_RETRY = timedelta(minutes=5)
BACKOFF = [timedelta(minutes=m) for m in (5, 15, 60, 180, 720)]
MAX_ATTEMPTS = 8


def _insert():
    return pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def queue_email(
    to: str,
    purpose: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    headers: dict | None = None,
) -> int | None:
    """Add an email to the outbox; None when this (recipient, purpose) was queued before."""
    now = utcnow()
    statement = (
        _insert()(Outbox)
        .values(
            recipient=to.lower(),
            purpose=purpose[:120],
            subject=subject[:255],
            text_body=text_body,
            html_body=html_body,
            headers=json.dumps(headers or {}),
            attempts=0,
            next_attempt_at=now + FIRST_RETRY,
            created_at=now,
            last_error="",
        )
        .on_conflict_do_nothing(index_elements=["recipient", "purpose"])
        .returning(Outbox.id)
    )
    outbox_id = db.session.execute(statement).scalar()
    if outbox_id is not None:
        db.session.info.setdefault(_NEW_KEY, []).append(outbox_id)
    return outbox_id


def already_queued(to: str, purpose: str) -> bool:
    return (
        db.session.scalar(
            select(Outbox.id).where(Outbox.recipient == to.lower(), Outbox.purpose == purpose)
        )
        is not None
    )


def queued_among(keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (recipient, purpose) pairs are in the outbox already: one query."""
    if not keys:
        return set()
    purposes = {purpose for _, purpose in keys}
    found = db.session.execute(
        select(Outbox.recipient, Outbox.purpose).where(Outbox.purpose.in_(purposes))
    ).all()
    wanted = {(to.lower(), purpose) for to, purpose in keys if to}
    return {(row.recipient, row.purpose) for row in found} & wanted


def forget_new() -> None:
    """After a rollback: the rows queued in it are gone."""
    db.session.info.pop(_NEW_KEY, None)


def deliver_new() -> tuple[int, int]:
    """Send the emails queued in the transaction that just committed."""
    ids = db.session.info.pop(_NEW_KEY, [])
    return deliver(ids)


def deliver(ids: list[int]) -> tuple[int, int]:
    """Send these outbox rows (each under a row lock; a sent or locked row is skipped).
    Returns (sent, failed). Commits once per email."""
    sent = failed = 0
    for outbox_id in ids:
        outcome = _deliver_one(outbox_id)
        sent += outcome == "sent"
        failed += outcome == "failed"
    return sent, failed


def message_id(outbox_id: int) -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER", "")
    domain = sender.rsplit("@", 1)[-1].strip(" >") if "@" in sender else "planet.local"
    return f"<outbox-{outbox_id}@{domain}>"


def _deliver_one(outbox_id: int) -> str:
    from planet.mail import send_email

    row = db.session.scalar(
        select(Outbox)
        .where(Outbox.id == outbox_id, Outbox.sent_at.is_(None))
        .with_for_update(skip_locked=True)
    )
    if row is None:
        db.session.rollback()
        return "skipped"
    try:
        headers = json.loads(row.headers)
        # The same Message-ID on every attempt: if a worker dies after the server accepted the
        # mail but before `sent_at` is stored, the resend is recognisably the same message.
        headers.setdefault("Message-ID", message_id(row.id))
        send_email(row.recipient, row.subject, row.text_body, row.html_body, headers)
    except Exception as error:  # SMTP down or refused: retried later by the relay
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:500]
        row.next_attempt_at = utcnow() + BACKOFF[min(row.attempts - 1, len(BACKOFF) - 1)]
        db.session.commit()
        log.warning("outbox %s to %s failed: %s", row.id, row.recipient, row.last_error)
        return "failed"
    row.sent_at = utcnow()
    row.attempts += 1
    db.session.commit()
    return "sent"


def deliver_due(now: datetime | None = None, limit: int = 500) -> tuple[int, int]:
    """The relay: emails whose first delivery did not happen (crash, SMTP down)."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Outbox.id)
            .where(
                Outbox.sent_at.is_(None),
                Outbox.next_attempt_at <= now,
                Outbox.attempts < MAX_ATTEMPTS,
            )
            .order_by(Outbox.next_attempt_at)
            .limit(limit)
        )
    )
    db.session.rollback()
    return deliver(ids)


def mark_unsent_now() -> None:
    """Tests and the CLI: make every unsent row due immediately."""
    db.session.execute(
        update(Outbox).where(Outbox.sent_at.is_(None)).values(next_attempt_at=utcnow())
    )


def catcher_enabled() -> bool:
    return current_app.config.get("PLANET_ENV") != "production"
