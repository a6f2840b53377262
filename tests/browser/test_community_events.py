"""Community life 5: rituals and events, in the browser.

The owner creates a weekly ritual (Fridays 21:00 in the planet's time zone) and a one-off
event (one in the past refused); the planet page counts down to the next one; a member RSVPs
and downloads the .ics files (time zone, weekly rule); RSVP to an event that is over is
refused in English with nothing written.
"""

from __future__ import annotations

import re
import time as clock
import uuid
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from tests.browser.community import (
    DESKTOP,
    MOBILE,
    OTHER,
    SLUG,
    TZ,
    flash,
    form_errors,
    id_in_url,
    open_new_form,
    planet_today,
    refused,
    shift,
    sql,
    submit,
)

pytestmark = pytest.mark.browser


def fill_event(owner, title: str, day, at: str, *, weekly: bool = False, where: str = ""):
    owner.goto(f"/p/{SLUG}/events/new")
    owner.fill('input[name="title"]', title)
    owner.fill('textarea[name="description"]', "带上你的 **问题**。")
    owner.fill('input[name="location"]', where)
    owner.fill('input[name="date"]', day.isoformat())
    owner.fill('input[name="time"]', at)
    owner.select_option('select[name="recurrence"]', "weekly" if weekly else "none")
    owner.fill('input[name="duration_minutes"]', "90")
    submit(owner, 'main form[method="post"]')


def download_ics(page) -> str:
    with page.expect_download() as info:
        page.locator("main a", has_text=".ics").click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    return Path(download.path()).read_text()


def test_weekly_and_one_off_events_countdown_rsvp_and_ics(people, planet_server, shot):
    marker = uuid.uuid4().hex[:4]
    today = planet_today()
    tomorrow = today + timedelta(days=1)
    friday = today + timedelta(days=2)
    while friday.weekday() != 4:  # the first Friday after tomorrow
        friday += timedelta(days=1)
    owner = people.as_demo("owner", viewport=DESKTOP)

    open_new_form(owner, "events", "新建活动", "events/new")
    assert "Asia/Shanghai" in owner.locator("main").inner_text()
    fill_event(owner, f"新人见面会 {marker}", today - timedelta(days=1), "20:00")
    assert "活动的开始时间必须在未来" in form_errors(owner)
    shot(owner, "event in the past refused")
    fill_event(owner, f"新人见面会 {marker}", tomorrow, "20:00", where="腾讯会议 123-456")
    once = id_in_url(owner)
    assert f"{tomorrow.isoformat()} 20:00" in owner.locator("main").inner_text()
    fill_event(owner, f"周五夜读 {marker}", friday, "21:00", weekly=True)
    weekly = id_in_url(owner)
    assert "每周" in owner.locator("main").inner_text()
    shot(owner, "weekly event")
    owner.goto(f"/p/{SLUG}/events")
    items = owner.locator(".eng-list li").all_inner_texts()
    assert f"新人见面会 {marker}" in items[0] and f"周五夜读 {marker}" in items[1]
    assert "每周" in items[1] and f"{friday.isoformat()} 21:00" in items[1]
    shot(owner, "events list")

    # The planet page counts down to the next event.
    member = people.as_demo("member", viewport=MOBILE)
    member.goto(f"/p/{SLUG}/")
    countdown = member.locator(".eng-countdown")
    text = countdown.inner_text()
    assert f"新人见面会 {marker}" in text and f"{tomorrow.isoformat()} 20:00" in text
    left = datetime.combine(tomorrow, time(20), TZ) - datetime.now(TZ)
    days, hours = re.search(r"还有 (\d+) 天 (\d+) 小时 \d+ 分钟", text).groups()
    assert abs(int(days) * 24 + int(hours) - left.total_seconds() // 3600) <= 1, text
    shot(member, "planet page with the countdown")

    # RSVP, then add both to a calendar.
    countdown.locator("a").click()
    member.wait_for_url(f"**/p/{SLUG}/events/{once}")
    assert "腾讯会议 123-456" in member.locator("main").inner_text()
    member.locator("main button", has_text="我要参加").click()
    member.wait_for_load_state()
    assert "到时见" in flash(member)
    assert "你已报名" in member.locator("main").inner_text()
    going = member.locator("main section", has_text="参加者（1）")
    assert "Mia Member" in going.inner_text()
    shot(member, "going")
    ics = download_ics(member)
    assert "BEGIN:VEVENT" in ics and f"SUMMARY:新人见面会 {marker}" in ics
    assert f"DTSTART;TZID=Asia/Shanghai:{tomorrow:%Y%m%d}T200000" in ics
    assert f"DTEND;TZID=Asia/Shanghai:{tomorrow:%Y%m%d}T213000" in ics
    assert "BEGIN:VTIMEZONE" in ics and "TZID:Asia/Shanghai" in ics and "RRULE" not in ics
    member.goto(f"/p/{SLUG}/events/{weekly}")
    ics = download_ics(member)
    assert f"DTSTART;TZID=Asia/Shanghai:{friday:%Y%m%d}T210000" in ics
    assert "RRULE:FREQ=WEEKLY" in ics

    # An admin has the page open; the event ends; RSVP is refused and nothing is written.
    admin = people.as_demo("admin", viewport=MOBILE, locale="en-US")
    admin.goto(f"/p/{SLUG}/events/{once}")
    button = admin.locator("main button", has_text="I am going")
    assert button.is_visible()
    shift(planet_server, "eng_events", once, ("local_start", "next_start_at"), -timedelta(days=3))
    assert refused(admin, 400, lambda: button.click()) == "This event is over."
    shot(admin, "RSVP to a past event refused")
    rsvps = "SELECT count(*) FROM eng_rsvps WHERE event_id = ?"
    assert sql(planet_server, rsvps, (once,)) == [(1,)]  # only the member's, from before
    admin.goto(f"/p/{SLUG}/events/{once}")
    assert "This event is over." in admin.locator("main").inner_text()
    assert admin.locator("main button", has_text="I am going").count() == 0
    # The strip is cached for SHORT_CACHE_SECONDS per process and the shift above went around
    # the app (no write to invalidate it): the strip moves on within that time.
    deadline = clock.monotonic() + 30
    while True:
        member.goto(f"/p/{SLUG}/")
        strip = member.locator(".eng-countdown").inner_text()
        if f"周五夜读 {marker}" in strip or clock.monotonic() > deadline:
            break
        member.wait_for_timeout(500)
    assert f"周五夜读 {marker}" in strip

    # Another planet never shows these events.
    assert member.goto(f"/p/{OTHER}/events/{weekly}").status == 404
    assert member.goto(f"/p/{OTHER}/events/{weekly}.ics").status == 404
