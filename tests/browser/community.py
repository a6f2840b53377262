"""Helpers for the community-life journeys (tests/browser/test_community_*.py).

Time cannot be made to pass in a browser, so when a journey needs a deadline or an event to be
over, `shift()` moves the stored instants of that one row into the past in the server's SQLite
file (the server reads them fresh on the next request), exactly as if the time had passed.
"""

from __future__ import annotations

import io
import sqlite3
import uuid
from contextlib import closing
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.browser.conftest import DESKTOP, MOBILE

SLUG = "community-lab"  # the demo's free planet: owner, admin, guest and member of every planet
OTHER = "growth-club"  # a paid demo planet: the same staff and member, no newcomers
TZ = ZoneInfo("Asia/Shanghai")  # the demo planets' time zone


def planet_now() -> datetime:
    return datetime.now(TZ)


def planet_today() -> date:
    return planet_now().date()


def submit(page, form: str) -> None:
    """Press the first submit button of the form matched by `form` and wait for the page."""
    page.locator(form).locator('[type="submit"]').first.click()
    page.wait_for_load_state()


def flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def refusal(page) -> str:
    """The reason of a 4xx answer: on an error page, or with the form shown again (above it
    or beside its field)."""
    reason = page.locator(
        '.error-reason, main .flash-error[role="alert"], main .field small.error'
    ).first
    return reason.inner_text().strip()


def refused(page, status: int, post) -> str:
    """Do `post()` (an action that sends a form), check the answer is `status`; the reason on
    the error page."""
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        post()
    assert info.value.status == status
    return refusal(page)


def form_errors(page) -> str:
    return page.locator('main .flash-error[role="alert"]').first.inner_text()


def open_new_form(page, list_path: str, button: str, form_path: str) -> None:
    """From a list page of the demo planet (`list_path`), follow its `button` to the form at
    `form_path`, as a person would."""
    page.goto(f"/p/{SLUG}/{list_path}")
    page.locator("main a.button", has_text=button).click()
    page.wait_for_url(f"**/p/{SLUG}/{form_path}")


def post_text(page, form: str, text: str, files: dict | None = None) -> None:
    """Write `text` in the `body` box of the form matched by `form` (and choose `files`, by
    input name), send it and wait for the page."""
    found = page.locator(form)
    found.locator('textarea[name="body"]').fill(text)
    for name, file in (files or {}).items():
        found.locator(f'input[name="{name}"]').set_input_files(file)
    found.locator('[type="submit"]').click()
    page.wait_for_load_state()


def sql(server, statement: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on the server's database; returns the rows (committed)."""
    with closing(sqlite3.connect(server.var_dir / "planet.db", timeout=30)) as conn:
        rows = conn.execute(statement, params).fetchall()
        conn.commit()
    return rows


def shift(server, table: str, row_id: int, columns: tuple[str, ...], delta: timedelta) -> None:
    """Move the instants `columns` of one row by `delta` (negative: into the past)."""
    seconds = int(delta.total_seconds())
    sets = ", ".join(f"{c} = datetime({c}, '{seconds:+d} seconds')" for c in columns)
    sql(server, f"UPDATE {table} SET {sets} WHERE id = ?", (row_id,))  # noqa: S608 - test names


def id_in_url(page) -> int:
    """The id at the end of the current path (/p/x/polls/12 -> 12)."""
    return int(page.url.split("?")[0].rstrip("/").rsplit("/", 1)[1])


def newcomer(people, name: str, *, slug: str = SLUG, viewport=MOBILE, locale: str = "zh-CN"):
    """A new account that signs up and joins the free demo planet through its landing page
    (a member of that planet only). Returns (page, display name)."""
    page = people.new(viewport=viewport, locale=locale)
    name = f"{name}{uuid.uuid4().hex[:4]}"
    people.sign_up(page, name)
    page.goto(f"/p/{slug}/about")
    rules = page.locator('.join-form input[name="accept_rules"]')
    if rules.count():
        rules.check()
    submit(page, ".join-form")
    assert page.url.endswith(f"/p/{slug}/"), page.url
    return page, name


def png_bytes(color=(20, 160, 130), size=(48, 32)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def image_loaded(page, selector: str) -> bool:
    """True when the image matched by `selector` was fetched and decoded."""
    locator = page.locator(selector).first
    locator.scroll_into_view_if_needed()
    page.wait_for_function("el => el.complete", arg=locator.element_handle(), timeout=5000)
    return locator.evaluate("el => el.naturalWidth > 0")


__all__ = ["DESKTOP", "MOBILE", "OTHER", "SLUG", "TZ"]
