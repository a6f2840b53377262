"""Community life 2: check-in challenges (打卡), in the browser.

The owner creates a challenge (a zero or negative length refused with the reason); a member
checks in with text, is refused a second check-in the same day (a stale tab), checks in the next
day with text and an image, and sees the streak, the calendar, both leaderboards and the daily
statistics; the other members see the image; a challenge whose daily window has closed refuses
(or marks late) a check-in, in English. Days are the planet's (Asia/Shanghai) days.
"""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest

from tests.browser.community import (
    DESKTOP,
    MOBILE,
    OTHER,
    SLUG,
    flash,
    form_errors,
    id_in_url,
    image_loaded,
    open_new_form,
    planet_now,
    planet_today,
    png_bytes,
    post_text,
    refused,
    sql,
    submit,
)

pytestmark = pytest.mark.browser


def create_challenge(owner, title: str, *, start, length: int = 21, window=None, late=True):
    owner.goto(f"/p/{SLUG}/challenges/new")
    owner.fill('input[name="title"]', title)
    owner.fill('textarea[name="rules"]', "每天写下 **一件** 做成的小事。")
    owner.fill('input[name="start_date"]', start.isoformat())
    owner.fill('input[name="length_days"]', str(length))
    if window:
        owner.fill('input[name="window_start"]', window[0].strftime("%H:%M"))
        owner.fill('input[name="window_end"]', window[1].strftime("%H:%M"))
    box = owner.locator('input[name="late_allowed"]')
    box.check() if late else box.uncheck()
    submit(owner, 'main form[method="post"]')
    assert "/challenges/new" not in owner.url, owner.locator("main").inner_text()
    return id_in_url(owner)


def check_in(page, text: str, image: bytes | None = None) -> None:
    files = None
    if image is not None:
        files = {"image": {"name": "today.png", "mimeType": "image/png", "buffer": image}}
    post_text(page, 'form[action$="/checkin"]', text, files)


def test_challenge_check_in_streak_calendar_leaderboards_and_refusals(people, planet_server, shot):
    title = f"21 天写作打卡 {uuid.uuid4().hex[:4]}"
    today = planet_today()
    owner = people.as_demo("owner", viewport=DESKTOP)

    # A zero or negative length: the browser stops it (min=1); forced through, the server
    # answers 400 with the reason and creates nothing.
    open_new_form(owner, "challenges", "新建打卡挑战", "challenges/new")
    owner.fill('input[name="title"]', title)
    owner.fill('input[name="start_date"]', today.isoformat())
    length = owner.locator('input[name="length_days"]')
    for bad in ("0", "-3"):
        length.fill(bad)
        assert not length.evaluate("el => el.checkValidity()")
        length.evaluate("el => el.removeAttribute('min')")
        response_wait = owner.expect_response(lambda r: r.request.method == "POST")
        with response_wait as info:
            owner.locator('main form[method="post"] [type="submit"]').click()
        assert info.value.status == 400
        owner.wait_for_load_state()
        assert "时长至少为一天" in form_errors(owner)
    shot(owner, "zero length refused")
    assert sql(planet_server, "SELECT count(*) FROM eng_challenges WHERE title = ?", (title,)) == [
        (0,)
    ]

    # Started yesterday (so a streak can grow), 21 days, default window, late counts.
    cid = create_challenge(owner, title, start=today - timedelta(days=1))
    assert owner.locator("main h2").first.inner_text() == title
    assert owner.locator(".prose strong", has_text="一件").count() == 1
    shot(owner, "challenge created")

    member = people.as_demo("member", viewport=MOBILE)
    member.goto(f"/p/{SLUG}/challenges")
    member.locator(".eng-list a", has_text=title).click()
    member.wait_for_url(f"**/p/{SLUG}/challenges/{cid}")
    stale = member.context.new_page()  # the same challenge open in a second tab
    stale.goto(f"/p/{SLUG}/challenges/{cid}")
    shot(member, "before checking in")
    check_in(member, "今天写了 500 字。")
    assert "打卡成功" in flash(member)
    assert "你今天已经打过卡" not in member.locator("main").inner_text()
    assert member.locator('form[action$="/checkin"]').count() == 0  # once a day
    assert "我的连续打卡：1 天 · 累计：1 天" in member.locator("main").inner_text()
    assert member.locator(".eng-calendar .eng-day.done.today").count() == 1

    # The second tab still shows the form: a second check-in today is refused with the reason.
    assert "你今天已经打过卡了" in refused(stale, 409, lambda: check_in(stale, "再打一次"))
    shot(stale, "second check-in refused")
    count = "SELECT count(*) FROM eng_checkins WHERE challenge_id = ?"
    assert sql(planet_server, count, (cid,)) == [(1,)]
    stale.close()

    # That check-in becomes yesterday's (as if a day had passed); today's has text and an image.
    mia = sql(planet_server, "SELECT id FROM users WHERE email = 'member@demo.planet'")[0][0]
    sql(
        planet_server,
        "UPDATE eng_checkins SET day = date(day, '-1 day') WHERE challenge_id = ? AND user_id = ?",
        (cid, mia),
    )
    sql(
        planet_server,
        "UPDATE eng_challenge_progress SET last_day = date(last_day, '-1 day')"
        " WHERE challenge_id = ? AND user_id = ?",
        (cid, mia),
    )
    member.reload()
    check_in(member, "第二天：改完了第一章。", image=png_bytes())
    assert "打卡成功" in flash(member)
    main = member.locator("main").inner_text()
    assert "我的连续打卡：2 天 · 累计：2 天" in main
    assert "1 人参与，共 2 次打卡" in main
    assert member.locator(".eng-calendar .eng-day.done").count() == 2
    streaks = member.locator(".eng-boards > div", has_text="连续打卡榜")
    assert "Mia Member · 2" in streaks.inner_text()
    totals = member.locator(".eng-boards > div", has_text="累计打卡榜")
    assert "Mia Member · 2" in totals.inner_text()
    assert member.locator("section", has_text="每日统计").locator("svg.chart").count() == 1
    assert image_loaded(member, "img.eng-checkin-image")
    shot(member, "streak of two, calendar and boards")

    # Another member (the owner) sees today's check-in with its image, and Mia's calendar.
    owner.goto(f"/p/{SLUG}/challenges/{cid}")
    entry = owner.locator(".eng-checkin", has_text="第二天：改完了第一章。")
    assert entry.count() == 1
    assert image_loaded(owner, ".eng-checkin img.eng-checkin-image")
    shot(owner, "the feed with the member's image")
    owner.locator(".eng-boards a", has_text="Mia Member").first.click()
    owner.wait_for_url(f"**/p/{SLUG}/challenges/{cid}/members/{mia}")
    assert "当前连续：2 天 · 最长：2 天 · 累计：2 天" in owner.locator("main").inner_text()
    assert owner.locator(".eng-calendar .eng-day.done").count() == 2
    shot(owner, "the member's calendar")

    # Another planet never shows this challenge: its id under the other planet's address is 404.
    assert member.goto(f"/p/{OTHER}/challenges/{cid}").status == 404
    assert member.goto(f"/p/{OTHER}/challenges").status == 200
    assert member.locator(".eng-list a", has_text=title).count() == 0


def test_closed_daily_window_refuses_or_marks_late_in_english(people, shot):
    now = planet_now()
    if now.time() >= time(1, 0):
        window = (time(0, 0), time(0, 30))  # closed for today already
        reason = "Today's check-in closed at 00:30 and late check-ins are not accepted."
    else:  # just after midnight in Shanghai: the window has not opened yet
        window = (time(2, 0), time(3, 0))
        reason = "Check-ins open at 02:00."
    owner = people.as_demo("owner", viewport=DESKTOP)
    strict = create_challenge(
        owner, f"早起打卡 {uuid.uuid4().hex[:4]}", start=now.date(), length=7, window=window,
        late=False,
    )  # fmt: skip
    member = people.as_demo("member", viewport=MOBILE, locale="en-US")
    member.goto(f"/p/{SLUG}/challenges/{strict}")
    assert "no late check-ins" in member.locator("main").inner_text()
    assert refused(member, 400, lambda: check_in(member, "Up at five!")) == reason
    assert member.locator("html").get_attribute("lang") == "en"
    shot(member, "window closed, refused in English")

    if now.time() >= time(1, 0):
        lenient = create_challenge(
            owner, f"晚到也算 {uuid.uuid4().hex[:4]}", start=now.date(), length=7,
            window=window, late=True,
        )  # fmt: skip
        member.goto(f"/p/{SLUG}/challenges/{lenient}")
        check_in(member, "Late, but here.")
        assert "Checked in" in flash(member)
        entry = member.locator(".eng-checkin", has_text="Late, but here.")
        assert entry.locator(".pill", has_text="late check-in").count() == 1
        assert member.locator(".eng-calendar .eng-day.done.late.today").count() == 1
        shot(member, "late check-in marked")
