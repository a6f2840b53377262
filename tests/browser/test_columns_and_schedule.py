"""Columns and scheduled posts in the browser (issue 13 points 2 and 4), in Chinese and English,
on a phone and a laptop: a member follows a demo column and resumes where they stopped; the
owner schedules an announcement in their own time zone (a time the clocks skip is refused) and
it appears, pinned and notified, at its time (the beat job run as beat would, after the stored
time is moved into the past: time cannot be made to pass in a browser)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from planet.demo_community import EN, ZH
from tests.browser.community import shift, sql
from tests.browser.conftest import DEMO, DESKTOP, MOBILE, ROOT

pytestmark = pytest.mark.browser
LABELS = {
    "zh-CN": {"tab": "专栏", "place": "（{n}/3）", "all_read": "整个专栏你都读完了。",
              "progress": "已读 {n} / 3", "gap": None, "past": "这个时间已经过去了",
              "new": "发主题"},
    "en-US": {"tab": "Columns", "place": "({n}/3)", "all_read": "You have read the whole column.",
              "progress": "Read {n} of 3", "gap": "the clocks skip it",
              "past": "That time has passed", "new": "New topic"},
}  # fmt: skip


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _person(people, who: str, *, viewport, locale: str, timezone: str):
    """A demo person's signed-in browser in `timezone` (the first page tells the server)."""
    people.as_demo(who, viewport=viewport, locale=locale).close()
    page = people.new(viewport=viewport, locale=locale, timezone=timezone,
                      storage_state=people.states[DEMO[who]])  # fmt: skip
    page.goto("/")
    return page


@pytest.mark.parametrize(
    ("locale", "viewport", "slug", "texts"),
    [("zh-CN", MOBILE, "community-lab", ZH), ("en-US", DESKTOP, "indie-builders", EN)],
    ids=["zh-phone", "en-desktop"],
)
def test_a_member_follows_a_column_and_resumes_where_they_stopped(
    people, shot, locale, viewport, slug, texts
):
    words = LABELS[locale]
    title, _description, lessons = texts.column
    member = people.as_demo("member", viewport=viewport, locale=locale)
    member.goto(f"/p/{slug}/")
    member.locator(".planet-tabs a", has_text=words["tab"]).click()
    member.wait_for_url(f"**/p/{slug}/columns")
    member.locator("main a.column-title", has_text=title).click()
    member.wait_for_url(f"**/p/{slug}/columns/*")
    main = member.locator("main").inner_text()
    assert words["progress"].format(n=1) in main, main  # the demo member read lesson one
    resume = member.locator("#column-resume")
    assert lessons[1][0] in resume.inner_text()
    _no_sideways_scroll(member)
    shot(member, "the column, where the member stopped")
    resume.click()
    member.wait_for_url(f"**/p/{slug}/t/*")
    nav = member.locator(".column-nav").inner_text()
    assert title in nav and words["place"].format(n=2) in nav, nav
    assert lessons[1][1] in member.locator("main").inner_text()
    shot(member, "lesson two, in its column")
    member.locator("#column-read-next").click()  # read: on to the next lesson
    member.wait_for_load_state()
    assert words["place"].format(n=3) in member.locator(".column-nav").inner_text()
    assert lessons[2][1] in member.locator("main").inner_text()
    member.locator(".column-nav a", has_text=title).click()
    member.wait_for_url(f"**/p/{slug}/columns/*")
    assert words["progress"].format(n=2) in member.locator("main").inner_text()
    assert lessons[2][0] in member.locator("#column-resume").inner_text()
    member.locator("#column-resume").click()
    member.wait_for_url(f"**/p/{slug}/t/*")
    member.locator("#column-read-next").click()  # the last one: back to the column
    member.wait_for_url(f"**/p/{slug}/columns/*")
    done = member.locator("main").inner_text()
    assert words["all_read"] in done and words["progress"].format(n=3) in done
    shot(member, "the whole column read")
    # Visitors see the column's contents on the landing page, not the lessons' text.
    visitor = people.new(viewport=viewport, locale=locale)
    visitor.goto(f"/p/{slug}/about")
    landing = visitor.locator("main").inner_text()
    assert title in landing and lessons[0][1] not in landing


def _run_beat_job(server, job: str) -> None:
    """`flask workers tick <job>` against the server's database, as beat runs it: once a
    minute (a tick in a minute that already had one is skipped, so the next minute's tick)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "PLANET_", "STRIPE_", "MAIL_", "CELERY_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI"}
    }
    env.update(
        FLASK_APP="planet",
        PYTHONPATH=str(ROOT),
        PLANET_ENV="development",
        PLANET_VAR_DIR=str(server.var_dir),
        DATABASE_URL=f"sqlite:///{server.var_dir / 'planet.db'}",
        BASE_URL=server.url,
        SECRET_KEY="browser-tests-secret-key-0123456789abcdef",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT="9",  # announcement mails are not what this journey looks at
        RATELIMIT_STORAGE_URI="memory://",
        CELERY_ALWAYS_EAGER="1",
    )
    now = datetime.now(UTC)
    for minute in range(5):
        at = (now + timedelta(minutes=minute)).isoformat()
        done = subprocess.run(
            [sys.executable, "-m", "flask", "workers", "tick", job, "--now", at],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        if done.stdout.strip() == "done":
            return
    pytest.fail(f"{job} was skipped five minutes in a row: {done.stdout}")


@pytest.mark.parametrize(
    ("owner_setup", "member_setup"),
    [
        (("en-US", DESKTOP, "America/New_York"), ("zh-CN", MOBILE, "Asia/Shanghai")),
        (("zh-CN", MOBILE, "Asia/Shanghai"), ("en-US", DESKTOP, "Europe/London")),
    ],
    ids=["owner-en-desktop-new-york", "owner-zh-phone-shanghai"],
)
def test_an_owner_schedules_an_announcement_that_appears_at_its_time(
    people, shot, planet_server, owner_setup, member_setup
):
    slug = "growth-club"
    locale, viewport, zone = owner_setup
    words = LABELS[locale]
    owner = _person(people, "owner", viewport=viewport, locale=locale, timezone=zone)
    title = f"Launch day {uuid.uuid4().hex[:6]}"
    owner.goto(f"/p/{slug}/")
    owner.locator(".toolbar a", has_text=words["new"]).click()
    owner.wait_for_url(f"**/p/{slug}/new")
    form = owner.locator("main form[enctype]")
    form.locator('input[name="title"]').fill(title)
    form.locator('textarea[name="body"]').fill(f"{title}: doors open at noon.")
    form.locator('input[name="announce"]').check()
    # Refused first, nothing written: a time the clocks skip (New York), or one already past.
    if words["gap"]:
        gap = datetime(2027, 3, 14, 2, 30)
        local = gap.replace(tzinfo=ZoneInfo(zone))
        assert local.astimezone(UTC).astimezone(ZoneInfo(zone)).hour != 2  # the premise
        refused_at = gap.strftime("%Y-%m-%dT%H:%M")
        reason = words["gap"]
    else:
        refused_at = (datetime.now(ZoneInfo(zone)) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        reason = words["past"]
    form.locator('input[name="publish_at"]').fill(refused_at)
    with owner.expect_response(lambda r: r.request.method == "POST") as answer:
        form.locator("#schedule-button").click()
    assert answer.value.status == 400
    assert reason in owner.locator("main .field small.error").first.inner_text()
    shot(owner, "an impossible time, refused beside the field")
    assert sql(planet_server, "SELECT count(*) FROM content_drafts WHERE title = ?", (title,)) == [
        (0,)
    ]
    when = (datetime.now(ZoneInfo(zone)) + timedelta(minutes=20)).replace(second=0, microsecond=0)
    form = owner.locator("main form[enctype]")
    form.locator('input[name="publish_at"]').fill(when.strftime("%Y-%m-%dT%H:%M"))
    form.locator("#schedule-button").click()
    owner.wait_for_url(f"**/p/{slug}/drafts")
    row = owner.locator("li.draft", has_text=title)
    assert f"{when:%Y-%m-%d %H:%M} ({zone})" in row.inner_text(), row.inner_text()
    _no_sideways_scroll(owner)
    shot(owner, "scheduled, in the owner's zone")
    draft_id = int(row.get_attribute("id").removeprefix("draft-"))

    member_locale, member_viewport, member_zone = member_setup
    member = _person(people, "member", viewport=member_viewport, locale=member_locale,
                     timezone=member_zone)  # fmt: skip
    member.goto(f"/p/{slug}/")
    assert title not in member.locator("main").inner_text()  # not before its time

    shift(planet_server, "content_drafts", draft_id, ("publish_at",), timedelta(minutes=-30))
    _run_beat_job(planet_server, "scheduled_posts")
    member.goto(f"/p/{slug}/")
    pinned = member.locator("section.pinned")
    assert title in pinned.inner_text()
    _no_sideways_scroll(member)
    shot(member, "the announcement, pinned at its time")
    topic_path = pinned.locator("a", has_text=title).first.get_attribute("href").split("#")[0]
    member.goto("/me/notifications")
    # notified at its publication: a notice that links the announcement
    assert member.locator(f'.notification-list a[href$="{topic_path}"]').count() == 1
    owner.goto(f"/p/{slug}/drafts")
    assert title not in owner.locator("li.draft").all_inner_texts()
    owner.locator("main a", has_text=title).click()  # "Recently published" links the topic
    owner.wait_for_url(f"**/p/{slug}/t/*")
    assert title in owner.locator("main").inner_text()
