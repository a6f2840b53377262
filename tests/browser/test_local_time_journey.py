"""Local time and Chinese punctuation, as two people see one event (issue 11 points 8, 20):
the owner in Shanghai sets it for 20:00; a member reading on a phone in Shanghai (zh) sees
20:00 (Asia/Shanghai) and 「星主：」; the same member on a laptop in New York (en) sees the
same instant in New York time, labelled, and "Owner: ". No page says UTC."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.community import DESKTOP, MOBILE, SLUG, TZ, id_in_url, planet_today
from tests.browser.conftest import DEMO
from tests.browser.test_community_events import fill_event

pytestmark = pytest.mark.browser
NEW_YORK = ZoneInfo("America/New_York")


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_one_event_in_each_readers_own_time(people, shot):
    owner = people.as_demo("owner", viewport=DESKTOP)
    day = planet_today() + timedelta(days=5)
    title = f"时区 {uuid.uuid4().hex[:4]}"
    fill_event(owner, title, day, "20:00")
    owner.goto(f"/p/{SLUG}/events")
    owner.locator("main a", has_text=title).first.click()
    event_id = id_in_url(owner)
    start = datetime.combine(day, time(20, 0), tzinfo=TZ)

    shanghai = people.as_demo("member", viewport=MOBILE)
    shanghai.goto(f"/p/{SLUG}/events/{event_id}")
    main = shanghai.locator("main").inner_text()
    assert f"{start:%Y-%m-%d} 20:00" in main and "Asia/Shanghai" in main, main
    assert "星主：" in main and "星主:" not in main and "UTC" not in main
    _no_sideways_scroll(shanghai)
    shot(shanghai, "zh phone in Shanghai")

    people.as_demo("member", viewport=DESKTOP).close()  # the member's signed-in session
    new_york = people.new(
        viewport=DESKTOP,
        locale="en-US",
        timezone="America/New_York",
        storage_state=people.states[DEMO["member"]],
    )
    new_york.goto("/")  # the first page tells the server the browser's zone
    new_york.goto(f"/p/{SLUG}/events/{event_id}")
    main = new_york.locator("main").inner_text()
    local = start.astimezone(NEW_YORK)
    assert f"{local:%Y-%m-%d %H:%M}" in main and "America/New_York" in main, main
    assert "Owner: " in main and "UTC" not in main
    shot(new_york, "en laptop in New York")
    assert people.server_errors == [] and people.script_errors == []
