"""The promises, with a real `celery worker` process on Redis and PostgreSQL: digests once per
member and period, expiry told once, auto-renewal against localstripe (a card that works and
one that is declined at charge time), and a worker SIGKILLed in the middle of a batch."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from payments.gateway import get_gateway
from payments.grant import set_auto_renewal
from payments.models import (
    BillingCustomer,
    LedgerEntry,
    Payment,
    PaymentKind,
    PaymentStatus,
    RenewalAttempt,
)
from planet.extensions import db
from planet.members.models import ReminderSent
from planet.models import utcnow
from planet.notifications.models import Outbox
from planet.planets.models import Membership, MembershipStatus
from workers import digests
from workers.models import PendingJob
from workers.tasks import tick

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def app_config(worker_app_config, stripe_app_config):
    return {**worker_app_config, **stripe_app_config}


def jobs_done() -> bool:
    return not db.session.scalar(
        select(func.count()).select_from(PendingJob).where(PendingJob.done_at.is_(None))
    )


def mail_done() -> bool:
    return jobs_done() and not db.session.scalar(
        select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))
    )


def send_tick(job: str, now: datetime, queue: str = "billing") -> None:
    tick.apply_async(args=[job, now.isoformat()], queue=queue)


def kill_mid_mail(worker, worker_smtp, hold_at: int, start, timeout: int = 60) -> None:
    """Hold the `hold_at`-th SMTP conversation, call `start()`, and SIGKILL the worker while it
    waits on that email (its task neither finished nor acknowledged); later emails pass."""
    worker_smtp.gate.hold_at = hold_at
    start()
    assert worker_smtp.gate.holding.wait(timeout), worker.log_text()[-3000:]
    worker.kill()
    worker_smtp.gate.hold_at = None


def planet_with_news(make, members: int):
    owner = make.user(email="owner@example.com")
    planet = make.planet(owner, name="Worker Planet")
    for n in range(members):
        make.member(planet, make.user(email=f"m{n:03d}@example.com", locale="en"))
    make.topic(planet, owner, "Notes for everyone", title="Weekly", feed_at=NOW - timedelta(days=2))
    db.session.commit()
    return planet


def active_members(planet_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.planet_id == planet_id, Membership.status == MembershipStatus.ACTIVE)
    )


def assert_once_each(catcher, expected: int) -> None:
    messages = catcher.messages
    recipients = Counter(m["To"] for m in messages)
    ids = Counter(m["Message-ID"] for m in messages)
    assert len(messages) == expected
    assert len(recipients) == expected, [r for r, n in recipients.items() if n > 1]
    assert len(ids) == expected


# ---------------------------------------------------------------- digests


def test_digest_run_on_a_real_worker_sends_one_email_per_member(
    app, make, real_worker, worker_smtp
):
    planet = planet_with_news(make, 12)
    expected = active_members(planet.id)  # 12 members and the owner
    app.config["DIGEST_BATCH_SIZE"] = 5
    worker = real_worker()
    summary = digests.fan_out_weekly(NOW)
    assert summary["batches"] == 3 and summary["members"] == expected
    worker_smtp.wait_for(expected, timeout=60)
    worker.wait_idle(also=mail_done)
    assert_once_each(worker_smtp, expected)
    # The whole run again (a re-sent beat tick, a second beat): nothing more is sent.
    digests.fan_out_weekly(NOW)
    send_tick("digest_weekly", NOW, queue="mail")
    send_tick("digest_weekly", NOW, queue="mail")
    worker.wait_idle(also=mail_done)
    assert_once_each(worker_smtp, expected)
    assert "Weekly" in worker_smtp.text(worker_smtp.messages[0])


# ---------------------------------------------------------------- expiry


def test_expiry_sweep_on_a_real_worker_tells_each_member_once(app, make, real_worker, worker_smtp):
    planet = make.planet(price_amount=9900)
    due = [
        make.member(
            planet, make.user(email=f"due{n}@example.com"), expires_in=timedelta(hours=-n - 1)
        )
        for n in range(5)
    ]
    kept = make.member(planet, make.user(email="kept@example.com"), expires_in=timedelta(days=30))
    db.session.commit()
    worker = real_worker()
    now = utcnow()
    send_tick("expiry", now)
    send_tick("expiry", now)  # a second beat in the same period
    worker_smtp.wait_for(5, timeout=60)
    worker.wait_idle(also=mail_done)
    send_tick("expiry", now + timedelta(minutes=5))  # the next period: nothing is due
    worker.wait_idle(also=mail_done)
    db.session.expire_all()
    for membership in due:
        assert db.session.get(Membership, membership.id).status is MembershipStatus.EXPIRED
    assert db.session.get(Membership, kept.id).status is MembershipStatus.ACTIVE
    assert sorted(m["To"] for m in worker_smtp.messages) == [
        f"due{n}@example.com" for n in range(5)
    ]
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 5


# ---------------------------------------------------------------- auto-renewal


def renewing_member(make, planet, card_token, number: str, email: str) -> Membership:
    """A member with a saved card at localstripe and auto-renewal on, expiring in 12 hours."""
    user = make.user(email=email, locale="en")
    membership = make.member(planet, user, expires_in=timedelta(hours=12))
    gateway = get_gateway()
    customer = gateway.create_customer(
        email=email, metadata={"user_id": str(user.id)}, idempotency_key=f"c-{email}"
    )
    card = gateway.save_card(
        customer_id=customer["id"], token=card_token(number), idempotency_key=f"card-{email}"
    )
    db.session.add(BillingCustomer(user_id=user.id, provider_customer_id=customer["id"]))
    set_auto_renewal(membership, True, card["id"])
    db.session.commit()
    return membership


def provider_charges(app, membership: Membership) -> list[dict]:
    """Succeeded intents at localstripe for this member's customer."""
    import requests

    customer = db.session.scalar(
        select(BillingCustomer.provider_customer_id).where(
            BillingCustomer.user_id == membership.user_id
        )
    )
    intents, after = [], None
    while True:  # localstripe lists every intent (no customer filter): page through them
        params = {"limit": 100, **({"starting_after": after} if after else {})}
        page = requests.get(
            f"{app.config['STRIPE_API_BASE']}/v1/payment_intents",
            params=params,
            headers={"Authorization": f"Bearer {app.config['STRIPE_SECRET_KEY']}"},
            timeout=10,
        ).json()
        intents += page["data"]
        if not page.get("has_more") or not page["data"]:
            break
        after = page["data"][-1]["id"]
    return [i for i in intents if i["status"] == "succeeded" and i.get("customer") == customer]


def ledger_rows(payment_id: int) -> tuple[int, int]:
    count, total = db.session.execute(
        select(func.count(LedgerEntry.id), func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.payment_id == payment_id
        )
    ).one()
    return count, total


def renewals_of(membership_id: int) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.membership_id == membership_id, Payment.kind == PaymentKind.AUTO_RENEWAL)
            .order_by(Payment.id)
        )
    )


def test_auto_renewal_on_a_real_worker_charges_once_and_handles_a_decline(
    app, make, real_worker, worker_smtp, card_token
):
    planet = make.planet(price_amount=9900, currency="cny")
    good = renewing_member(make, planet, card_token, "4242424242424242", "good@example.com")
    bad = renewing_member(make, planet, card_token, "4000000000000341", "bad@example.com")
    good_expiry = good.expires_at
    worker = real_worker()
    now = utcnow()
    send_tick("renewals", now)
    worker_smtp.wait_for(3, timeout=60)
    worker.wait_idle(also=mail_done)
    # Again in the next period (and a duplicate tick): nothing is charged twice.
    send_tick("renewals", now + timedelta(minutes=15))
    send_tick("renewals", now + timedelta(minutes=15))
    worker.wait_idle(also=mail_done)
    db.session.expire_all()

    [paid] = renewals_of(good.id)
    assert paid.status is PaymentStatus.SUCCEEDED and paid.amount == 9900
    assert db.session.get(Membership, good.id).expires_at == good_expiry + timedelta(days=365)
    count, total = ledger_rows(paid.id)
    assert count >= 2 and total == 9900  # owner's share + platform fee (+ provider fee)
    assert len(provider_charges(app, good)) == 1

    [declined] = renewals_of(bad.id)
    assert declined.status is PaymentStatus.FAILED
    assert ledger_rows(declined.id) == (0, 0)
    assert provider_charges(app, bad) == []
    attempts = db.session.execute(
        select(RenewalAttempt.attempt, RenewalAttempt.status)
        .where(RenewalAttempt.membership_id == bad.id)
        .order_by(RenewalAttempt.attempt)
    ).all()
    assert [tuple(a) for a in attempts] == [(0, "failed"), (1, "due")]  # retried in a day
    assert db.session.get(Membership, bad.id).grace_until is not None
    good_mail = Counter(m["Subject"] for m in worker_smtp.to("good@example.com"))
    assert any("renewed" in subject for subject in good_mail), good_mail
    assert set(good_mail.values()) == {1}  # receipt and "renewed", each once
    bad_mail = [m["Subject"] for m in worker_smtp.to("bad@example.com")]
    assert len(bad_mail) == 1 and "could not renew" in bad_mail[0]  # told once


# ---------------------------------------------------------------- killed workers


def test_worker_killed_mid_digest_batch_then_restarted_sends_each_email_once(
    app, make, real_worker, worker_smtp
):
    planet = planet_with_news(make, 300)
    expected = active_members(planet.id)  # 301
    app.config["DIGEST_BATCH_SIZE"] = 50
    worker = real_worker()
    # Pause the 120th SMTP conversation (third batch): SIGKILL mid-batch, mid-mail.
    kill_mid_mail(worker, worker_smtp, 120, lambda: digests.fan_out_weekly(NOW), timeout=90)
    assert len(worker_smtp.messages) == 119
    assert db.session.scalar(
        select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))
    )
    worker.start()  # the killed batch comes back after the visibility timeout
    worker_smtp.wait_for(expected, timeout=120)
    worker.wait_idle(also=mail_done)
    assert_once_each(worker_smtp, expected)


def test_worker_killed_mid_expiry_batch_then_restarted_tells_each_member_once(
    app, make, real_worker, worker_smtp
):
    planet = make.planet(price_amount=9900)
    due = [
        make.member(
            planet, make.user(email=f"x{n:02d}@example.com"), expires_in=timedelta(hours=-n - 1)
        ).id
        for n in range(12)
    ]
    db.session.commit()
    worker = real_worker()
    # One batch: its rows are committed, then its 12 emails go out over one SMTP connection;
    # the worker dies in the middle of the fifth.
    now = utcnow()
    kill_mid_mail(worker, worker_smtp, 5, lambda: send_tick("expiry", now))
    assert len(worker_smtp.messages) == 4
    worker.start()
    # The rest of the emails are the relay's (the redelivered tick finds its period taken).
    send_tick("expiry", now + timedelta(minutes=5))
    send_tick("relay", now + timedelta(minutes=10), queue="default")
    worker_smtp.wait_for(12, timeout=120)
    worker.wait_idle(also=mail_done)
    assert_once_each(worker_smtp, 12)
    db.session.expire_all()
    assert all(db.session.get(Membership, m).status is MembershipStatus.EXPIRED for m in due)
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 12


def all_renewed(members) -> bool:
    return all([p.status for p in renewals_of(m.id)] == [PaymentStatus.SUCCEEDED] for m in members)


def test_worker_killed_mid_renewal_sweep_charges_nobody_twice(
    app, make, real_worker, worker_smtp, card_token
):
    planet = make.planet(price_amount=9900, currency="cny")
    members = [
        renewing_member(make, planet, card_token, "4242424242424242", f"r{n}@example.com")
        for n in range(3)
    ]
    worker = real_worker()
    # Each renewal sends a receipt and a "renewed" email after its commit: hold the third
    # email (the second member's), so one member is charged and told, one charged, one not.
    now = utcnow()
    kill_mid_mail(worker, worker_smtp, 3, lambda: send_tick("renewals", now))
    worker.start()
    # The redelivered tick finds this period's run taken; the next period's tick and the
    # relay (unsent email) finish the work.
    send_tick("renewals", now + timedelta(minutes=15))
    send_tick("relay", now + timedelta(minutes=10), queue="default")
    worker.wait_idle(also=lambda: mail_done() and all_renewed(members))
    db.session.expire_all()
    for membership in members:
        [paid] = renewals_of(membership.id)
        assert paid.status is PaymentStatus.SUCCEEDED
        assert ledger_rows(paid.id)[1] == 9900
        assert len(provider_charges(app, membership)) == 1
    sent = Counter((m["To"], m["Subject"]) for m in worker_smtp.messages)
    assert set(sent.values()) == {1}, sent  # no email twice
    for n in range(3):
        assert any("renewed" in s for to, s in sent if to == f"r{n}@example.com"), sent
