"""The owner's weekly report as the owner sees it: from the income page (Manage menu) to the
report's page, where the owner picks the day; then the hourly job mails it on that day (the
`flask workers sweep weekly-reports` the worker runs, against the server's database and its mail
catcher), and the mail, opened in the browser, shows the same figures. In Chinese on a phone and
in English on a laptop."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from datetime import UTC, datetime, time
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
WORDS = {
    "zh-CN": {"manage": "管理", "income": "收入", "report": "周报", "save": "保存",
              "topics": "最多人读的主题"},
    "en": {"manage": "Manage", "income": "Income", "report": "Weekly report", "save": "Save",
           "topics": "Most read topics"},
}  # fmt: skip


def _sweep(server, now: datetime) -> str:
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
        MAIL_PORT=str(server.mail_port),
        MAIL_CATCHER_DIR=str(server.mail_dir),
        RATELIMIT_STORAGE_URI="memory://",
        CELERY_ALWAYS_EAGER="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", "flask", "workers", "sweep", "weekly-reports", "--now",
         now.isoformat()],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _reports_on(server, planet_name: str) -> list[email.message.EmailMessage]:
    """The weekly-report mails the demo owner got about one planet. On the demo's default
    report day (Monday) a sweep mails the owner's other planets too, so a sweep in one case may
    already have mailed the next case's report: each planet's count is what shows "once"."""
    messages = [
        email.message_from_string(raw, policy=policy.default)
        for raw in server.mails_to("owner@demo.planet")
    ]
    return [m for m in messages if str(m["Subject"]).startswith(planet_name)]


def _html_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


@pytest.mark.parametrize(
    ("locale", "viewport", "slug"),
    [("zh-CN", MOBILE, "growth-club"), ("en", DESKTOP, "indie-builders")],
    ids=["zh-phone", "en-laptop"],
)  # the demo owner's paid planets, both in Asia/Shanghai (one report per planet and week)
def test_the_owner_reads_the_weekly_report_on_the_page_and_in_the_mail(
    people, planet_server, shot, tmp_path, locale, viewport, slug
):
    words = WORDS[locale]
    owner = people.as_demo("owner", viewport=viewport, locale=locale)
    owner.goto(f"/p/{slug}/")
    manage = owner.locator(".planet-tabs details.tab-more")
    manage.locator("summary").click()
    manage.get_by_role("link", name=words["income"]).click()
    owner.wait_for_url(f"**/p/{slug}/income")
    owner.locator("main").get_by_role("link", name=words["report"]).click()
    owner.wait_for_url(f"**/p/{slug}/weekly-report")
    preview = owner.locator(".weekly-report-preview")
    assert words["topics"] in preview.inner_text()
    assert preview.locator(".weekly-topics li").count() > 0  # the demo's members read
    new_on_page = preview.locator('[data-figure="new"]').inner_text()
    planet_name = owner.title().split(" · ")[1]  # "Weekly report · <planet> · Planet"
    shot(owner, "weekly report page")

    # A day in the planet's time zone, after 08:00 there: the report of that day goes out.
    shanghai = ZoneInfo("Asia/Shanghai")
    today = datetime.now(shanghai).date()
    send_at = datetime.combine(today, time(9, 30), tzinfo=shanghai).astimezone(UTC)
    owner.select_option('select[name="day"]', str(today.weekday()))
    owner.get_by_role("button", name=words["save"]).click()
    owner.wait_for_load_state()
    assert owner.locator('select[name="day"]').input_value() == str(today.weekday())

    _sweep(planet_server, send_at)
    _sweep(planet_server, send_at)  # the hourly job again: no second mail
    reports = _reports_on(planet_server, planet_name)
    assert len(reports) == 1, [str(m["Subject"]) for m in reports]
    html = _html_of(reports[0])
    mail_file = tmp_path / "weekly-report.html"
    mail_file.write_text(html, encoding="utf-8")
    owner.goto(mail_file.as_uri())
    body = owner.locator("body")
    # Mail speaks the owner's account language (the demo owner's is Chinese), whatever this
    # browser shows.
    assert WORDS["zh-CN"]["topics"] in body.inner_text()
    assert owner.locator('[data-figure="new"]').inner_text() == new_on_page
    assert owner.locator(".weekly-topics li").count() > 0
    shot(owner, "weekly report mail")
