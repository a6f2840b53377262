"""The owner's weekly report (payments/weekly_report.py): a constructed week gives its figures,
the mail goes out once per week on the owner's day in the planet's time zone, the cooling alert
is pushed only when health raises it, and the page shows the same report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from payments import ledger, weekly_report
from payments.models import Payment, PaymentKind, PaymentStatus
from planet.engagement.insights import health
from planet.engagement.insights.activity import record_membership_change
from planet.engagement.insights.landing_views import count_topic_read, flush_landing_views
from planet.engagement.insights.models import ActivityWeek
from planet.extensions import db
from planet.notifications.models import Outbox
from tests.conftest import login

# Monday 2026-03-09 09:30 in Shanghai (01:30 UTC): the report covers Mon 2 – Sun 8 March.
MONDAY = datetime(2026, 3, 9, 1, 30, tzinfo=UTC)
IN_WEEK = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)
BEFORE_WEEK = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # Sunday 1 March, 18:00 Shanghai


def _paid(planet, buyer, amount, at):
    payment = Payment(
        planet_id=planet.id, user_id=buyer.id, kind=PaymentKind.JOIN,
        status=PaymentStatus.SUCCEEDED, amount=amount, list_price=amount,
        currency=planet.currency, provider_intent_id=f"pi_week_{buyer.id}_{amount}",
        paid_at=at, attempts=1, refunded_amount=0, created_at=at,
    )  # fmt: skip
    db.session.add(payment)
    db.session.flush()
    shares = ledger.split(
        amount, fee_bps=1000, referral_bps=0, referrer_id=None, owner_id=planet.owner_id,
        partners=[],
    )  # fmt: skip
    ledger.write_payment_split(payment, shares, at)
    db.session.commit()
    return payment, shares


@pytest.fixture
def week(make):
    """A planet in Shanghai with a known week: two joins, a renewal, an expiry, a refund; two
    payments in the week and one before; reads of two topics."""
    owner = make.user(email="owner-week@example.com", name="Owner", locale="en")
    planet = make.planet(owner, timezone="Asia/Shanghai", price_amount=10000)
    people = [make.user() for _ in range(4)]
    for person in people:
        make.member(planet, person)
    for kind, person in (
        ("joined", people[0]), ("joined", people[1]), ("renewed", people[2]),
        ("expired", people[3]), ("refunded", people[1]),
    ):  # fmt: skip
        record_membership_change(planet.id, person.id, kind, IN_WEEK)
    record_membership_change(planet.id, people[2].id, "joined", BEFORE_WEEK)
    _, in_week_a = _paid(planet, people[0], 10000, IN_WEEK)
    _, in_week_b = _paid(planet, people[1], 8000, IN_WEEK + timedelta(hours=1))
    _paid(planet, people[2], 10000, BEFORE_WEEK)
    popular = make.topic(planet, owner, "Popular lesson", title="Popular")
    quiet = make.topic(planet, owner, "Quiet lesson", title="Quiet")
    for person in people:
        count_topic_read(planet, popular.id, person.id, IN_WEEK)
    count_topic_read(planet, quiet.id, people[0].id, IN_WEEK)
    count_topic_read(planet, quiet.id, people[1].id, BEFORE_WEEK)  # last week: not counted
    count_topic_read(planet, popular.id, people[0].id, IN_WEEK)  # the same day again: once
    flush_landing_views()
    db.session.commit()
    owner_parts = sum(s.amount for s in in_week_a + in_week_b if s.party is ledger.Party.OWNER)
    return planet, owner, people, popular, quiet, owner_parts


def test_the_report_adds_up_a_constructed_week(week):
    planet, _owner, _people, popular, quiet, owner_parts = week
    report = weekly_report.build(planet, MONDAY)
    assert report.week == (date(2026, 3, 2), date(2026, 3, 8))
    assert (report.new, report.renewed, report.lapsed, report.refunded) == (2, 1, 1, 1)
    assert report.income["gross"] == 18000  # the payment before the week is not in it
    assert report.income["owner"] == owner_parts
    assert 0 < report.income["owner"] < 18000
    assert report.top_topics == [(popular, 4), (quiet, 1)]


def test_the_week_follows_the_planet_time_zone(week):
    planet = week[0]
    # Sunday 8 March 23:30 UTC is already Monday 07:30 in Shanghai: the day, not yet the hour.
    assert not weekly_report.is_due(planet, datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    # Monday 08:00 in Shanghai is Monday 00:00 UTC.
    assert weekly_report.is_due(planet, datetime(2026, 3, 9, 0, 0, tzinfo=UTC))
    tuesday_morning = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert not weekly_report.is_due(planet, tuesday_morning)
    planet.weekly_report_day = 1  # Tuesday
    assert weekly_report.is_due(planet, tuesday_morning)
    planet.weekly_report_day = None
    assert not weekly_report.is_due(planet, tuesday_morning)


def _reports_to(address: str) -> list[Outbox]:
    return db.session.scalars(
        select(Outbox).where(Outbox.recipient == address, Outbox.purpose.like("weekly-report:%"))
    ).all()


def test_the_sweep_mails_once_per_week_however_often_it_runs(week, smtp_catcher):
    planet, owner, *_ = week
    assert weekly_report.sweep_weekly_reports(MONDAY - timedelta(hours=2))["queued"] == 0  # 07:30
    assert weekly_report.sweep_weekly_reports(MONDAY)["queued"] == 1
    assert weekly_report.sweep_weekly_reports(MONDAY + timedelta(hours=1))["queued"] == 0
    assert weekly_report.sweep_weekly_reports(MONDAY + timedelta(hours=5))["queued"] == 0
    [row] = _reports_to(owner.email)
    assert row.purpose == f"weekly-report:{planet.id}:2026-03-02"
    mail = smtp_catcher.last
    assert mail["To"] == owner.email
    text = smtp_catcher.text(mail)
    assert "2026-03-02" in text and "Popular" in text
    assert "Evaporative cooling" not in text
    # The next week is a new report.
    assert weekly_report.sweep_weekly_reports(MONDAY + timedelta(days=7))["queued"] == 1
    assert len(_reports_to(owner.email)) == 2


def test_a_planet_with_the_report_off_gets_none(week):
    planet, owner, *_ = week
    planet.weekly_report_day = None
    db.session.commit()
    assert weekly_report.sweep_weekly_reports(MONDAY)["queued"] == 0
    assert _reports_to(owner.email) == []


def _cool_down(planet, people):
    """Health's cooling alert: the most active did plenty four to eight weeks ago, nothing
    since."""
    this_week = health.current_week(planet, MONDAY)
    for n, person in enumerate(people):
        for weeks_ago in range(5, 9):
            db.session.add(
                ActivityWeek(
                    planet_id=planet.id, user_id=person.id, total=10 + n, topics=10 + n,
                    week_start=this_week - timedelta(weeks=weeks_ago),
                )
            )  # fmt: skip
    db.session.commit()


def test_the_cooling_alert_is_pushed_in_the_mail_when_health_raises_it(week, smtp_catcher):
    planet, owner, people, *_ = week
    _cool_down(planet, people)
    assert health.cooling(planet, MONDAY).alert
    weekly_report.sweep_weekly_reports(MONDAY)
    text = smtp_catcher.text(smtp_catcher.last)
    assert "Evaporative cooling" in text
    assert people[3].display_name in text  # the most active of the quiet ones is named


def test_the_mail_is_in_the_owners_language(week, smtp_catcher):
    planet, owner, *_ = week
    owner.locale = "zh"
    db.session.commit()
    weekly_report.sweep_weekly_reports(MONDAY)
    mail = smtp_catcher.last
    text = smtp_catcher.text(mail)
    assert "新成员" in text or "新加入" in text
    assert "最多人读的主题" in text
    assert "本周" in mail["Subject"] or "一周" in mail["Subject"]


def test_the_page_shows_the_report_and_saves_the_day(app, client, week):
    planet, owner, *_ = week
    login(client, owner)
    page = client.get(f"/p/{planet.slug}/weekly-report")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'data-figure="new"' in body
    income = client.get(f"/p/{planet.slug}/income").get_data(as_text=True)
    assert f"/p/{planet.slug}/weekly-report" in income  # reachable from the income page
    assert client.post(f"/p/{planet.slug}/weekly-report", data={"day": "4"}).status_code == 302
    assert db.session.get(type(planet), planet.id).weekly_report_day == 4
    assert client.post(f"/p/{planet.slug}/weekly-report", data={"day": "off"}).status_code == 302
    assert db.session.get(type(planet), planet.id).weekly_report_day is None
    assert client.post(f"/p/{planet.slug}/weekly-report", data={"day": "9"}).status_code == 400
    assert (
        client.post(f"/p/{planet.slug}/weekly-report", data={"day": "x" * 5000}).status_code == 400
    )
    assert db.session.get(type(planet), planet.id).weekly_report_day is None


def test_reads_are_counted_once_per_member_topic_and_day(app, client, make):
    owner = make.user()
    planet = make.planet(owner)
    reader = make.user()
    make.member(planet, reader)
    topic = make.topic(planet, owner, "Read me", title="Read me")
    login(client, reader)
    for _ in range(3):
        assert client.get(f"/p/{planet.slug}/t/{topic.id}").status_code == 200
    flush_landing_views()
    db.session.commit()
    from planet.engagement.insights.models import TopicRead

    assert db.session.scalar(select(func.count(TopicRead.id))) == 1
