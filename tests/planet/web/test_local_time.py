"""Times on pages are in the viewer's time zone (the browser's `tz` cookie, else the planet's),
never in UTC: topic cards, notifications, messages, receipts, refund deadlines, events."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planet.extensions import db
from planet.notifications.models import Kind, Notification

ROOT = Path(__file__).resolve().parents[3]
NOON_UTC = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(make, login_as):
    owner = make.user()
    planet = make.planet(owner, timezone="Europe/Berlin")
    make.topic(planet, owner, body="A topic at noon UTC", created_at=NOON_UTC, feed_at=NOON_UTC)
    login_as(owner)
    return owner, planet


@pytest.mark.parametrize(
    ("cookie", "shown"),
    [
        (None, "14:00"),  # no word from the browser: the planet's zone (Berlin, summer)
        ("America/New_York", "08:00"),
        ("Asia/Shanghai", "20:00"),
        ("Not/AZone", "14:00"),  # an unknown zone is ignored
    ],
)
def test_a_topic_card_shows_the_viewers_time(client, world, cookie, shown):
    _, planet = world
    if cookie:
        client.set_cookie("tz", cookie)
    html = client.get(f"/p/{planet.slug}/").get_data(as_text=True)
    card = html[html.index("A topic at noon UTC") - 3000 :]
    assert re.search(rf"<time[^>]*>[^<]*{shown}", card), shown


def test_notifications_show_local_time_not_utc(client, world):
    owner, planet = world
    db.session.add(
        Notification(
            user_id=owner.id,
            kind=Kind.ANNOUNCEMENT,
            planet_id=planet.id,
            dedupe_key="tz",
            data="{}",
            count=1,
            created_at=NOON_UTC,
        )
    )
    db.session.commit()
    client.set_cookie("tz", "Asia/Shanghai")
    html = client.get("/me/notifications").get_data(as_text=True)
    assert "2026-06-01 20:00" in html and "UTC" not in html


def test_no_page_template_prints_utc_or_formats_a_time_by_hand():
    """Times go through the filters of planet/web/clock.py (the one home); the check-in
    window is a time of day in the planet's zone, labelled with it."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "email" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "UTC" in line or ("strftime(" in line and "window_" not in line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def test_an_event_time_is_labelled_with_the_viewers_zone(client, world):
    """An event at 19:00 in the planet's zone (Berlin), read from New York."""
    from planet.engagement.events.services import create_event

    owner, planet = world
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    event = create_event(planet, owner, title="Launch call", local_date=day, local_time=time(19, 0))
    db.session.commit()
    client.set_cookie("tz", "America/New_York")
    html = client.get(f"/p/{planet.slug}/events/{event.id}").get_data(as_text=True)
    start = datetime.combine(day, time(19, 0), tzinfo=ZoneInfo("Europe/Berlin"))
    local = start.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%Y-%m-%d %H:%M}" in html and "(America/New_York)" in html
