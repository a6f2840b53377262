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
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, text, update

from planet import metrics
from planet.dbutil import dialect_insert, writable_autocommit
from planet.extensions import db
from planet.models import utcnow
from planet.notifications.models import Outbox

log = logging.getLogger(__name__)
_NEW_KEY = "planet_outbox_new"
# The first delivery happens right after commit; the relay waits this long before retrying.
FIRST_RETRY = timedelta(minutes=5)
BACKOFF = [timedelta(minutes=m) for m in (5, 15, 60, 180, 720)]
MAX_ATTEMPTS = 8
READ_CHUNK = 100  # email bodies held in memory at once while delivering


@dataclass(frozen=True)
class Email:
    to: str
    purpose: str
    subject: str
    text_body: str
    html_body: str | None = None
    headers: dict | None = None


def queue_email(
    to: str,
    purpose: str,
    subject: str,
    text_body: str,
    html_body: str | None = None,
    headers: dict | None = None,
) -> int | None:
    """Add an email to the outbox; None when this (recipient, purpose) was queued before."""
    new_ids = queue_emails([Email(to, purpose, subject, text_body, html_body, headers)])
    return new_ids[0] if new_ids else None


def queue_emails(emails: list[Email]) -> list[int]:
    """Add many emails in one statement (an executemany, sent as multi-row INSERTs); pairs
    (recipient, purpose) queued before are skipped. Returns the new rows' ids."""
    if not emails:
        return []
    now = utcnow()
    new_ids = db.session.scalars(
        dialect_insert(Outbox)
        .on_conflict_do_nothing(index_elements=["recipient", "purpose"])
        .returning(Outbox.id),
        [_row(email, now) for email in emails],
    ).all()
    db.session.info.setdefault(_NEW_KEY, []).extend(new_ids)
    return list(new_ids)


def _row(email: Email, now: datetime) -> dict:
    return {
        "recipient": email.to.lower(),
        "purpose": email.purpose[:120],
        "subject": email.subject[:255],
        "text_body": email.text_body,
        "html_body": email.html_body,
        "headers": json.dumps(email.headers or {}),
        "attempts": 0,
        "next_attempt_at": now + FIRST_RETRY,
        "created_at": now,
        "last_error": "",
    }


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
    """Send these outbox rows, in order, over one SMTP connection. Returns (sent, failed).

    On PostgreSQL a chunk of rows is claimed at once (`_claim`: one advisory lock per row, taken
    in one statement, then the rows still unsent read in one statement), and each email is then
    sent and marked on its own: send, `UPDATE sent_at` (one autocommitted statement), and only
    then the next. A worker killed at any point leaves at most the one email it was sending
    unmarked (sent again, with the same Message-ID, by the relay), as before; its connection's
    end releases its claims, so a restarted worker delivers the rest at once. Elsewhere
    (SQLite) each email locks, sends and commits in turn (`_deliver_one`).

    The rows are handled on a database connection of their own, with Core statements: the
    caller's session (and its identity map, which every commit would expire) is not involved.
    """
    from planet.mail import MailConnection

    if not ids:
        return 0, 0
    sent = failed = 0
    with db.engine.connect() as conn, MailConnection() as mail:
        if conn.dialect.name == "postgresql":
            return _deliver_claimed(conn, list(dict.fromkeys(ids)), mail)
        for chunk in _chunks(list(dict.fromkeys(ids)), READ_CHUNK):
            for row in _unsent(conn, chunk):
                outcome = _deliver_one(conn, row, mail)
                sent += outcome == "sent"
                failed += outcome == "failed"
            conn.commit()  # ends the chunk's read when none of its rows was left to send
    return sent, failed


# Advisory locks of the outbox: (2828, the row id folded into 32 bits). Two row ids
# 2**32 apart share a lock, which only makes one of them wait for the relay.
_CLAIM = text(
    "SELECT k FROM unnest(CAST(:ids AS bigint[])) AS k "
    "WHERE pg_try_advisory_lock(2828, CAST(k % 4294967296 - 2147483648 AS integer))"
)
_RELEASE = text(
    "SELECT count(pg_advisory_unlock(2828, CAST(k % 4294967296 - 2147483648 AS integer))) "
    "FROM unnest(CAST(:ids AS bigint[])) AS k"
)


def _deliver_claimed(conn, ids: list[int], mail) -> tuple[int, int]:
    """PostgreSQL: claim each chunk, then send and mark its emails one by one (autocommit)."""
    sent = failed = 0
    conn = writable_autocommit(conn)
    asynchronous = async_marks()
    try:
        if asynchronous:
            conn.execute(text("SET synchronous_commit = off"))
        for chunk in _chunks(ids, READ_CHUNK):
            claimed: list[int] = []
            try:
                rows = _claim(conn, chunk, claimed)
                for row in rows:
                    outcome = _send_and_mark(conn, row, mail)
                    sent += outcome == "sent"
                    failed += outcome == "failed"
            finally:
                if claimed:
                    conn.execute(_RELEASE, {"ids": claimed})
        if asynchronous:
            conn.execute(text("RESET synchronous_commit"))
    except BaseException:
        # Locks or settings may be left on this connection: close it rather than pool it.
        conn.invalidate()
        raise
    return sent, failed


def _claim(conn, ids: list[int], claimed: list[int]) -> list:
    """Lock these rows for this sender (advisory locks held by the connection's session until
    `_RELEASE`, or until the connection ends), then read those still unsent, in order.

    The lock is taken before `sent_at` is read: a row marked sent by the sender that held it
    before is then seen as sent. Rows another sender holds are skipped, advisory lock or row
    lock (FOR UPDATE SKIP LOCKED). `claimed` receives the ids to release afterwards."""
    claimed.extend(conn.scalars(_CLAIM, {"ids": ids}))
    if not claimed:
        return []
    columns = ("id", "recipient", "subject", "text_body", "html_body", "headers", "attempts")
    rows = conn.execute(
        select(*(_table.c[name] for name in columns))
        .where(_table.c.id.in_(claimed), _table.c.sent_at.is_(None))
        .with_for_update(skip_locked=True)
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[outbox_id] for outbox_id in ids if outbox_id in by_id]


def _send_and_mark(conn, row, mail) -> str:
    """Send one claimed row, then store the outcome (one autocommitted UPDATE)."""

    def write(**values):
        conn.execute(update(_table).where(_table.c.id == row.id).values(**values))

    return _send_and_record(row, row.attempts, mail, write)


def _send_and_record(row, attempts: int, mail, write) -> str:
    """Send `row` over `mail`, then `write` its outcome: sent, or failed with the next try."""
    from planet.mail import send_email

    try:
        headers = json.loads(row.headers)
        # The same Message-ID on every attempt: if a worker dies after the server accepted the
        # mail but before `sent_at` is stored, the resend is recognisably the same message.
        headers.setdefault("Message-ID", message_id(row.id))
        send_email(
            row.recipient, row.subject, row.text_body, row.html_body, headers, connection=mail
        )
    except Exception as error:  # SMTP down or refused: retried later by the relay
        last_error = f"{type(error).__name__}: {error}"[:500]
        write(
            attempts=attempts + 1,
            last_error=last_error,
            next_attempt_at=utcnow() + BACKOFF[min(attempts, len(BACKOFF) - 1)],
        )
        log.warning("outbox %s failed: %s", row.id, last_error)
        metrics.MAIL.labels("failed").inc()
        return "failed"
    write(attempts=attempts + 1, sent_at=utcnow())
    metrics.MAIL.labels("sent").inc()
    return "sent"


def message_id(outbox_id: int) -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER", "")
    domain = sender.rsplit("@", 1)[-1].strip(" >") if "@" in sender else "planet.local"
    return f"<outbox-{outbox_id}@{domain}>"


_table = Outbox.__table__


def _unsent(conn, ids: list[int]) -> list:
    """The rows' contents, read once for the chunk (without locks: `_deliver_one` locks and
    checks each row again just before sending it)."""
    columns = ("id", "recipient", "subject", "text_body", "html_body", "headers")
    rows = conn.execute(
        select(*(_table.c[name] for name in columns)).where(
            _table.c.id.in_(ids), _table.c.sent_at.is_(None)
        )
    ).all()
    by_id = {row.id: row for row in rows}
    return [by_id[outbox_id] for outbox_id in ids if outbox_id in by_id]


def _lock_unsent(conn, outbox_id: int) -> int | None:
    """Lock the row if it is still unsent and nobody else holds it; returns its attempts."""
    return conn.scalar(
        select(_table.c.attempts)
        .where(_table.c.id == outbox_id, _table.c.sent_at.is_(None))
        .with_for_update(skip_locked=True)
    )


def _deliver_one(conn, row, mail) -> str:
    attempts = _lock_unsent(conn, row.id)
    if attempts is None:
        conn.rollback()
        return "skipped"

    def write(**values):
        if "sent_at" in values and async_marks():
            conn.execute(text("SET LOCAL synchronous_commit = off"))
        _store(conn, row.id, **values)

    return _send_and_record(row, attempts, mail, write)


def async_marks() -> bool:
    """OUTBOX_ASYNC_MARKS (PostgreSQL only; off by default): commit
    each `sent_at` without waiting for the WAL flush. A killed worker still leaves at most
    one email unmarked (the commit has reached the server), but a database crash or failover
    can lose the marks of the last ~0.6 s (3 x wal_writer_delay), whose emails are then sent
    again with the same Message-ID. It saves one disk flush per email."""
    return bool(current_app.config.get("OUTBOX_ASYNC_MARKS")) and (
        db.engine.dialect.name == "postgresql"
    )


def _store(conn, outbox_id: int, **values) -> None:
    conn.execute(update(_table).where(_table.c.id == outbox_id).values(**values))
    conn.commit()


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
