"""Events (weekly across DST, RSVP, reminders, .ics)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from planet import jobs
from planet.engagement.events import services as events
from planet.engagement.events.models import Recurrence, Rsvp
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow


def _weekly_berlin(world):
    world.planet.timezone = "Europe/Berlin"
    db.session.commit()
    # Fridays 21:00 Berlin, starting 2025-03-21 (CET, UTC+1); DST starts 2025-03-30.
    return events.create_event(
        world.planet,
        world.owner,
        title="Friday ritual",
        local_date=date(2025, 3, 21),
        local_time=time(21),
        recurrence=Recurrence.WEEKLY,
        now=datetime(2025, 3, 20, tzinfo=UTC),
    )


def test_weekly_event_keeps_local_time_across_dst(world):
    event = _weekly_berlin(world)
    first = events.next_occurrence(world.planet, event, datetime(2025, 3, 20, tzinfo=UTC))
    after_dst = events.next_occurrence(world.planet, event, datetime(2025, 3, 30, tzinfo=UTC))
    assert first == datetime(2025, 3, 21, 20, 0, tzinfo=UTC)  # 21:00 CET
    assert after_dst == datetime(2025, 4, 4, 19, 0, tzinfo=UTC)  # 21:00 CEST


def test_ics_has_timezone_and_rrule(world, as_user):
    event = _weekly_berlin(world)
    db.session.commit()
    response = as_user(world.member).get(f"/p/alpha/events/{event.id}.ics")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    assert "DTSTART;TZID=Europe/Berlin:20250321T210000" in body
    assert "RRULE:FREQ=WEEKLY" in body and "BEGIN:VTIMEZONE" in body
    assert as_user(world.outsider).get(f"/p/alpha/events/{event.id}.ics").status_code == 403


def test_rsvp_rules(world, as_user):
    start = utcnow() + timedelta(days=2)
    event = world.event_at("AMA", start)  # the planet's zone: Asia/Shanghai
    db.session.commit()
    client = as_user(world.member)
    assert client.post(f"/p/alpha/events/{event.id}/rsvp").status_code == 302
    assert client.post(f"/p/alpha/events/{event.id}/rsvp").status_code == 409
    with pytest.raises(ServiceError, match="over"):
        events.rsvp(world.planet, event, world.owner, now=start + timedelta(days=1))
    assert db.session.scalar(db.select(db.func.count()).select_from(Rsvp)) == 1


def test_event_in_the_past_refused(world, as_user):
    response = as_user(world.owner).post(
        "/p/alpha/events/new",
        data={
            "title": "Old",
            "date": "2001-01-01",
            "time": "10:00",
            "recurrence": "none",
            "duration_minutes": "60",
            "remind_minutes": "60",
        },
    )
    assert response.status_code == 400 and "future" in response.get_data(as_text=True)


def test_reminder_sweep_once_per_occurrence(world, monkeypatch):
    event = _weekly_berlin(world)
    events.rsvp(world.planet, event, world.member, now=datetime(2025, 3, 20, tzinfo=UTC))
    db.session.commit()
    sent = []
    monkeypatch.setitem(jobs.registry, "engagement.event_reminder", lambda **kw: sent.append(kw))
    early = datetime(2025, 3, 21, 18, 0, tzinfo=UTC)  # two hours before: too early
    due = datetime(2025, 3, 21, 19, 15, tzinfo=UTC)  # 45 minutes before
    assert events.send_event_reminders(early)["reminded"] == 0
    assert events.send_event_reminders(due)["reminded"] == 1
    assert events.send_event_reminders(due)["reminded"] == 0
    jobs.commit()
    assert len(sent) == 1
    # After the occurrence the sweep moves the event to next Friday (21:00 CEST after DST).
    events.send_event_reminders(datetime(2025, 3, 28, 19, 30, tzinfo=UTC))
    assert event.next_start_at == datetime(2025, 3, 28, 20, 0, tzinfo=UTC)


def test_event_just_after_midnight_keeps_its_local_day(world, as_user):
    """00:30 on the 5th in Shanghai is 16:30 UTC on the 4th: pages and .ics show the local day."""
    day = (utcnow() + timedelta(days=10)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    client = as_user(world.owner)
    response = client.post(
        "/p/alpha/events/new",
        data={
            "title": "Midnight AMA",
            "date": day.isoformat(),
            "time": "00:30",
            "recurrence": "none",
            "duration_minutes": "60",
            "remind_minutes": "60",
        },
    )
    assert response.status_code == 302
    event = db.session.scalar(db.select(events.Event).where(events.Event.title == "Midnight AMA"))
    assert event.local_start == datetime.combine(day - timedelta(days=1), time(16, 30), UTC)
    page = as_user(world.member).get(f"/p/alpha/events/{event.id}").get_data(as_text=True)
    assert f"{day.isoformat()} 00:30" in page
    ics = as_user(world.member).get(f"/p/alpha/events/{event.id}.ics").get_data(as_text=True)
    assert f"DTSTART;TZID=Asia/Shanghai:{day:%Y%m%d}T003000" in ics


def test_weekly_event_in_the_spring_forward_gap(world):
    """Sundays 02:30 in Berlin: on 2025-03-30 that time does not exist (02:00 -> 03:00), so the
    occurrence is at 03:30 CEST; the week after it is 02:30 CEST again."""
    world.planet.timezone = "Europe/Berlin"
    db.session.commit()
    event = events.create_event(
        world.planet,
        world.owner,
        title="Night owls",
        local_date=date(2025, 3, 23),
        local_time=time(2, 30),
        recurrence=Recurrence.WEEKLY,
        now=datetime(2025, 3, 20, tzinfo=UTC),
    )
    starts = [events.occurrence_start(world.planet, event, i) for i in range(3)]
    assert starts == [
        datetime(2025, 3, 23, 1, 30, tzinfo=UTC),  # 02:30 CET
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC),  # 03:30 CEST: the gap moves forward
        datetime(2025, 4, 6, 0, 30, tzinfo=UTC),  # 02:30 CEST
    ]
    berlin = ZoneInfo("Europe/Berlin")
    assert [s.astimezone(berlin).strftime("%d %H:%M") for s in starts] == [
        "23 02:30",
        "30 03:30",
        "06 02:30",
    ]
