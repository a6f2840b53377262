"""Billing sweeps: expiry, reminders (once per period), the periodic lock, the job outbox and
relay when the broker is down."""

from datetime import timedelta

from sqlalchemy import func, select

from payments import reminders
from planet.extensions import db
from planet.members import expiry
from planet.members.models import ReminderSent
from planet.models import utcnow
from planet.notifications.models import Kind, Notification
from planet.planets.models import Membership, MembershipStatus
from workers import locks
from workers.models import PeriodicRun
from workers.schedule import PERIODIC


def _status(membership_id):
    db.session.expire_all()
    return db.session.get(Membership, membership_id).status


def test_expiry_sweep_records_and_tells_once(app, make, smtp_catcher):
    planet = make.planet()
    gone = make.member(planet, make.user(email="gone@example.com"), expires_in=timedelta(hours=-1))
    graced = make.member(planet, expires_in=timedelta(hours=-1))
    graced.grace_until = utcnow() + timedelta(days=1)
    stays = make.member(planet, expires_in=timedelta(days=10))
    db.session.commit()
    count_before = planet.member_count
    for _ in range(2):
        summary = expiry.sweep_expiry(utcnow(), batch=1)
    assert summary == {"expired": 0, "seen": 0}
    assert _status(gone.id) is MembershipStatus.EXPIRED
    assert _status(graced.id) is MembershipStatus.ACTIVE
    assert _status(stays.id) is MembershipStatus.ACTIVE
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 1
    assert len(smtp_catcher.to("gone@example.com")) == 1
    db.session.refresh(planet)
    assert planet.member_count == count_before - 1


def test_expiry_batches_cover_everything(app, make):
    planet = make.planet()
    due = [make.member(planet, expires_in=timedelta(minutes=-m - 1)).id for m in range(7)]
    summary = expiry.sweep_expiry(utcnow(), batch=3)
    assert summary["expired"] == 7
    assert all(_status(m) is MembershipStatus.EXPIRED for m in due)


def test_reminders_7d_and_1d_once_per_period(app, make, smtp_catcher):
    planet = make.planet(price_amount=9900)
    soon = make.member(planet, make.user(email="soon@example.com"), expires_in=timedelta(hours=20))
    week = make.member(planet, make.user(email="week@example.com"), expires_in=timedelta(days=6))
    make.member(planet, make.user(email="later@example.com"), expires_in=timedelta(days=40))
    for _ in range(3):
        reminders.sweep_reminders(utcnow())
    kinds = set(db.session.execute(select(ReminderSent.membership_id, ReminderSent.kind)).all())
    # 20 hours before expiry only the 1-day reminder is due (the 7-day one is not sent late).
    assert kinds == {(soon.id, "1d"), (week.id, "7d")}
    assert len(smtp_catcher.to("soon@example.com")) == 1
    assert len(smtp_catcher.to("week@example.com")) == 1
    assert not smtp_catcher.to("later@example.com")
    mail = smtp_catcher.to("week@example.com")[0]
    assert "99.00 CNY" in mail["Subject"] or "/checkout?renew=1" in smtp_catcher.text(mail)
    # A renewal starts a new period: the reminders come again for it.
    week_row = db.session.get(Membership, week.id)
    week_row.expires_at = week_row.expires_at + timedelta(days=365)
    db.session.commit()
    reminders.sweep_reminders(utcnow() + timedelta(days=365))
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ReminderSent)
            .where(ReminderSent.membership_id == week.id)
        )
        == 2
    )


def test_a_second_beat_tick_in_the_same_period_does_nothing(app, make):
    from workers.tasks import tick

    planet = make.planet()
    make.member(planet, expires_in=timedelta(minutes=-5))
    now = utcnow().isoformat()
    assert tick.run("expiry", now) == "done"
    assert tick.run("expiry", now) == "skipped"
    assert db.session.scalar(select(func.count()).select_from(PeriodicRun)) == 1
    later = (utcnow() + PERIODIC["expiry"].period).isoformat()
    assert tick.run("expiry", later) == "done"


def test_a_dead_run_is_taken_over_after_its_lease(app):
    now = utcnow()
    assert locks.acquire("payouts", "k", now)
    assert not locks.acquire("payouts", "k", now + timedelta(minutes=1))
    assert locks.acquire("payouts", "k", now + locks.LEASE + timedelta(seconds=1))


def test_cli_sweep_prints_a_summary(app, make, runner):
    planet = make.planet()
    make.member(planet, expires_in=timedelta(minutes=-5))
    result = runner.invoke(args=["workers", "sweep", "expiry"])
    assert result.exit_code == 0, result.output
    assert "expiry: expired=1" in result.output
    bad = runner.invoke(args=["workers", "sweep", "expiry", "--now", "2026-01-01T00:00:00"])
    assert bad.exit_code != 0


def test_health_reports_worker_and_redis(app, client):
    body = client.get("/healthz").get_json()
    assert body["database"] == "ok"
    assert body["redis"] == "not configured"
    assert body["worker"].startswith("inline")


def test_notification_kinds_for_expiry(app, make):
    planet = make.planet()
    member = make.member(planet, expires_in=timedelta(minutes=-5))
    expiry.sweep_expiry(utcnow())
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == member.user_id)
    ).all()
    assert kinds == [Kind.MEMBERSHIP_EXPIRED]
