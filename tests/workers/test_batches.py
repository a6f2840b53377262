"""Set-based batches: a sweep's batch costs a fixed number of statements whatever its size,
the bulk notification and outbox inserts keep their dedupe keys, and delivery reuses one SMTP
connection while still marking every email sent on its own."""

import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from planet import mail
from planet.extensions import db
from planet.members import expiry
from planet.members.models import ReminderSent
from planet.models import utcnow
from planet.notifications import outbox, services
from planet.notifications.models import Kind, Notification, NotificationPreference, Outbox
from planet.planets.models import Membership, MembershipStatus, Planet


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _due_rows(planets, per_planet: int) -> list[Membership]:
    from tests import factories

    for each in planets:
        for _ in range(per_planet):
            factories.member(each, expires_in=timedelta(hours=-1))
    db.session.commit()
    return list(
        db.session.scalars(
            select(Membership).where(
                Membership.planet_id.in_([p.id for p in planets]),
                Membership.expires_at.is_not(None),
            )
        )
    )


def test_an_expiry_batch_costs_the_same_statements_for_3_or_12_members(app, make, query_counter):
    counts = []
    for planets, per_planet in ((1, 3), (3, 4)):
        rows = _due_rows([make.planet() for _ in range(planets)], per_planet)
        with query_counter() as counter:
            ended = expiry.expire_due(rows, utcnow())
        db.session.commit()
        assert len(ended) == planets * per_planet
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_expiry_batch_counts_members_per_planet_and_tells_each_once(app, make, smtp_catcher):
    first, second = make.planet(), make.planet()
    rows = _due_rows([first, second], 3)
    counts = {p.id: p.member_count for p in (first, second)}
    owner_row = db.session.scalar(
        select(Membership).where(
            Membership.planet_id == first.id, Membership.user_id == first.owner_id
        )
    )
    owner_row.expires_at = utcnow() - timedelta(days=1)  # an owner never expires
    db.session.commit()
    summary = expiry.sweep_expiry(utcnow(), batch=4)
    assert summary == {"expired": 6, "seen": 7}
    for planet_id, before in counts.items():
        assert db.session.get(Planet, planet_id).member_count == before - 3
    assert db.session.get(Membership, owner_row.id).status is MembershipStatus.ACTIVE
    assert _count(ReminderSent) == 6
    assert len(smtp_catcher.messages) == 6
    assert len({m["To"] for m in smtp_catcher.messages}) == 6
    # A second sweep, and the same batch expired again by hand: nothing new.
    assert expiry.sweep_expiry(utcnow()) == {"expired": 0, "seen": 1}
    assert expiry.expire_due(rows, utcnow()) == []
    db.session.commit()
    assert len(smtp_catcher.messages) == 6
    assert _count(Notification, Notification.kind == Kind.MEMBERSHIP_EXPIRED) == 6


def test_notify_many_keeps_dedupe_keys_and_email_choices(app, make, smtp_catcher):
    planet = make.planet()
    wants, declines = make.user(email="wants@example.com"), make.user(email="no@example.com")
    db.session.add(NotificationPreference(user_id=declines.id, kind=Kind.ANNOUNCEMENT, email=False))
    db.session.commit()
    notices = [
        services.Notice(user.id, f"bulk:{user.id}", planet=planet, data={"link": "/x"})
        for user in (wants, declines)
    ]
    created = services.notify_many(Kind.ANNOUNCEMENT, notices + notices[:1])
    db.session.commit()
    assert sorted(n.user_id for n in created) == sorted([wants.id, declines.id])
    assert services.notify_many(Kind.ANNOUNCEMENT, notices) == []
    db.session.commit()
    assert _count(Notification) == 2
    assert [row.recipient for row in db.session.scalars(select(Outbox))] == ["wants@example.com"]
    assert outbox.deliver_new() == (1, 0)
    outbox.mark_unsent_now()
    db.session.commit()
    assert outbox.deliver_due() == (0, 0)
    assert [m["To"] for m in smtp_catcher.messages] == ["wants@example.com"]
    assert planet.name in created[0].data


def _queue(n: int, prefix: str = "r") -> list[int]:
    ids = outbox.queue_emails(
        [outbox.Email(f"{prefix}{i}@example.com", f"test:{i}", f"S{i}", "body") for i in range(n)]
    )
    db.session.commit()
    outbox.forget_new()
    return ids


def test_delivery_reuses_one_smtp_connection(app, smtp_catcher, monkeypatch):
    opened = []
    connect = mail._connect
    monkeypatch.setattr(mail, "_connect", lambda: opened.append(1) or connect())
    ids = _queue(5)
    assert outbox.deliver(ids + ids[:2]) == (5, 0)
    assert len(opened) == 1
    assert sorted(m["Subject"] for m in smtp_catcher.messages) == [f"S{i}" for i in range(5)]
    assert len({m["Message-ID"] for m in smtp_catcher.messages}) == 5
    assert outbox.deliver(ids) == (0, 0)  # all marked sent: nothing goes out twice
    assert len(smtp_catcher.messages) == 5


def test_a_refused_email_mid_batch_is_retried_alone_and_the_rest_are_sent(
    app, smtp_catcher, monkeypatch
):
    opened = []
    connect = mail._connect
    monkeypatch.setattr(mail, "_connect", lambda: opened.append(1) or connect())
    send = mail.MailConnection.send

    def refuse_r2(self, message):
        if message["To"] == "r2@example.com":
            self.close()
            raise smtplib.SMTPRecipientsRefused({"r2@example.com": (550, b"no")})
        send(self, message)

    monkeypatch.setattr(mail.MailConnection, "send", refuse_r2)
    ids = _queue(4)
    assert outbox.deliver(ids) == (3, 1)
    assert len(opened) == 2  # reopened after the error
    failed = db.session.scalar(select(Outbox).where(Outbox.recipient == "r2@example.com"))
    assert failed.sent_at is None and failed.attempts == 1
    assert failed.next_attempt_at > utcnow() and "SMTPRecipientsRefused" in failed.last_error
    monkeypatch.setattr(mail.MailConnection, "send", send)
    assert outbox.deliver_due(utcnow() + timedelta(hours=1)) == (1, 0)
    assert sorted(m["To"] for m in smtp_catcher.messages) == [f"r{i}@example.com" for i in range(4)]


@pytest.mark.postgres
def test_a_row_locked_by_another_sender_is_skipped(app, smtp_catcher):
    ids = _queue(3)
    other = db.engine.connect()
    try:
        other.execute(select(Outbox.id).where(Outbox.id == ids[1]).with_for_update())
        assert outbox.deliver(ids) == (2, 0)
    finally:
        other.rollback()
        other.close()
    assert outbox.deliver(ids) == (1, 0)
    assert sorted(m["To"] for m in smtp_catcher.messages) == [
        "r0@example.com",
        "r1@example.com",
        "r2@example.com",
    ]


@pytest.mark.postgres
def test_async_marks_are_opt_in_and_local_to_each_email(app, smtp_catcher):
    from sqlalchemy import text

    assert not outbox.async_marks()
    app.config["OUTBOX_ASYNC_MARKS"] = True
    assert outbox.async_marks()
    ids = _queue(3)
    assert outbox.deliver(ids) == (3, 0)
    assert outbox.deliver(ids) == (0, 0)
    assert _count(Outbox, Outbox.sent_at.is_(None)) == 0
    with db.engine.connect() as conn:  # SET LOCAL ended with each email's transaction
        assert conn.scalar(text("SHOW synchronous_commit")) == "on"
    assert len(smtp_catcher.messages) == 3


@pytest.mark.postgres
def test_delivery_writes_on_connections_that_pages_left_read_only(app, smtp_catcher):
    """A GET leaves its pooled connection read only by default (planet/web/lifecycle.py); the
    outbox's autocommitted claims and marks must still write on it."""
    from planet.dbutil import make_read_only_by_default

    ids = _queue(2)
    db.session.remove()  # the test's own connection goes back to the pool too
    drawn = [db.engine.connect() for _ in range(db.engine.pool.checkedin() + 1)]
    for conn in drawn:
        make_read_only_by_default(conn.execution_options(isolation_level="AUTOCOMMIT"))
    for conn in drawn:
        conn.close()
    assert outbox.deliver(ids) == (2, 0)
    assert _count(Outbox, Outbox.sent_at.is_(None)) == 0
    assert sorted(m["To"] for m in smtp_catcher.messages) == ["r0@example.com", "r1@example.com"]


def test_cli_reminder_sweep_reports_progress_and_reminds_once(app, make, runner, smtp_catcher):
    planet_ = make.planet(price_amount=9900)
    for _ in range(3):
        make.member(planet_, expires_in=timedelta(hours=20))
    free = make.planet(price_amount=0)
    make.member(free, expires_in=timedelta(hours=20))
    db.session.commit()
    for _ in range(2):
        result = runner.invoke(args=["workers", "sweep", "reminders"])
        assert result.exit_code == 0, result.output
    assert len(smtp_catcher.messages) == 3  # the free planet's member: recorded, not told
    assert _count(ReminderSent, ReminderSent.kind == "1d") == 4


@pytest.mark.postgres
def test_senders_racing_on_the_same_rows_never_both_send_one(app, smtp_catcher):
    """Four threads (four connections) deliver the same 120 rows at once, in different orders:
    every row is sent exactly once, by whichever claimed it first."""
    import random

    from tests.workers.racing import race

    ids = _queue(120)
    orders = [random.sample(ids, len(ids)) for _ in range(4)]

    def work():
        return outbox.deliver(orders.pop())

    outcomes = race(app, work, 4)
    assert sum(sent for sent, _failed in outcomes) == 120
    assert all(failed == 0 for _sent, failed in outcomes)
    smtp_catcher.wait_for(120)
    assert sorted(m["To"] for m in smtp_catcher.messages) == sorted(
        f"r{i}@example.com" for i in range(120)
    )
    assert _count(Outbox, Outbox.sent_at.is_(None)) == 0
    assert outbox.deliver(ids) == (0, 0)


@pytest.mark.postgres
def test_a_sender_never_sends_a_row_another_has_claimed(app, smtp_catcher):
    """A row claimed by a sender that is still sending (its advisory lock held on another
    connection) is skipped, and sent after that sender releases it unmarked."""
    from sqlalchemy import text

    ids = _queue(3)
    other = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        assert list(other.scalars(outbox._CLAIM, {"ids": [ids[0]]})) == [ids[0]]
        assert outbox.deliver(ids) == (2, 0)
        assert "r0@example.com" not in [m["To"] for m in smtp_catcher.messages]
        other.execute(outbox._RELEASE, {"ids": [ids[0]]})
        assert outbox.deliver(ids) == (1, 0)
    finally:
        other.close()
    assert len(smtp_catcher.messages) == 3
    with db.engine.connect() as conn:  # no claim is left behind on pooled connections
        # This session's database only: another test process may hold claims in its own.
        held = conn.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
        assert held == 0


class _Killed(BaseException):
    """Stands for the worker dying (SIGKILL, SIGTERM's SystemExit) between two statements."""


@pytest.mark.postgres
@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_crash_mid_batch_resends_nothing_that_was_marked(
    app, smtp_catcher, monkeypatch, asynchronous
):
    """The 6th email of 10 is accepted by the server and the worker dies before marking it:
    the next delivery sends the 6th again (the documented one-email window, same Message-ID)
    and the last 4, never the 5 marked before the crash."""
    app.config["OUTBOX_ASYNC_MARKS"] = asynchronous
    ids = _queue(10)
    send = mail.MailConnection.send
    count = []

    def dies_after_the_sixth(self, message):
        send(self, message)
        count.append(1)
        if len(count) == 6:
            raise _Killed

    monkeypatch.setattr(mail.MailConnection, "send", dies_after_the_sixth)
    with pytest.raises(_Killed):
        outbox.deliver(ids)
    monkeypatch.setattr(mail.MailConnection, "send", send)
    assert _count(Outbox, Outbox.sent_at.is_not(None)) == 5
    assert outbox.deliver(ids) == (5, 0)  # at once: the dead sender's claims are gone
    received = sorted(m["To"] for m in smtp_catcher.wait_for(11))
    expected = sorted([f"r{i}@example.com" for i in range(10)] + ["r5@example.com"])
    assert received == expected
    sixth = [m["Message-ID"] for m in smtp_catcher.to("r5@example.com")]
    assert len(sixth) == 2 and sixth[0] == sixth[1]
