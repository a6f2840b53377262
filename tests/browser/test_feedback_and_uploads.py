"""Issue 11 points 11 and 12, as a person meets them.

An owner (English, laptop) creates an event, a poll and a lottery and sees on each next page what
happened; drawing the lottery asks first (saying no draws nothing), then says how many won.

A creator on a phone (Chinese) writing a topic picks a file too large, then one that is not an
image, then ten images: each time the page says why beside the field before anything is sent,
and the text already typed is still there; then an ordinary image publishes. The avatar field
does the same with its own limit.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.browser.community import (
    DESKTOP,
    MOBILE,
    SLUG,
    flash,
    id_in_url,
    planet_today,
    png_bytes,
    submit,
)

pytestmark = pytest.mark.browser

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_owner_sees_what_each_action_did_and_is_asked_before_the_draw(people, shot):
    marker = uuid.uuid4().hex[:4]
    owner = people.as_demo("owner", viewport=DESKTOP, locale="en-US")
    tomorrow = (planet_today() + timedelta(days=1)).isoformat()

    owner.goto(f"/p/{SLUG}/events/new")
    owner.fill('input[name="title"]', f"Reading night {marker}")
    owner.fill('input[name="date"]', tomorrow)
    owner.fill('input[name="time"]', "20:00")
    submit(owner, 'main form[method="post"]')
    assert "/events/new" not in owner.url
    assert "The event is created. Members can now say they are going." in flash(owner)
    shot(owner, "event created")

    owner.goto(f"/p/{SLUG}/polls/new")
    owner.fill('input[name="question"]', f"Which book next? {marker}")
    owner.fill('textarea[name="options"]', "Dune\nEmma")
    owner.fill('input[name="closes_date"]', tomorrow)
    owner.fill('input[name="closes_time"]', "20:00")
    submit(owner, 'main form[method="post"]')
    assert "The poll is open. Members can vote now." in flash(owner)
    assert owner.locator("main h2").first.inner_text() == f"Which book next? {marker}"
    shot(owner, "poll created")

    owner.goto(f"/p/{SLUG}/lotteries/new")
    owner.fill('input[name="title"]', f"Book prize {marker}")
    owner.select_option('select[name="eligibility"]', "all_members")
    owner.fill('input[name="winner_count"]', "1")
    submit(owner, 'main form[method="post"]')
    lid = id_in_url(owner)
    assert "The lottery is created. Draw it when you are ready." in flash(owner)

    draw = owner.locator("main button", has_text="Draw now")
    questions = []
    posts = []
    owner.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    owner.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    draw.click()
    assert questions == ["Draw the lottery now? The winners are final and cannot be drawn again."]
    assert posts == [] and draw.is_visible()  # saying no sends nothing

    owner.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    draw.click()
    owner.wait_for_url(f"**/p/{SLUG}/lotteries/{lid}")
    owner.locator("main h3", has_text="Winners").wait_for()
    assert len(questions) == 2 and len(posts) == 1
    assert "The lottery is drawn: 1 winner, listed below." in flash(owner)
    assert owner.evaluate(NO_SIDEWAYS)
    shot(owner, "lottery drawn")


def _pick(page, name: str, files) -> None:
    page.locator(f'input[name="{name}"]').set_input_files(files)


def _reason(page, name: str) -> str:
    note = page.locator(f'.field:has(input[name="{name}"]) small.error[data-upload-error]')
    note.wait_for()
    return note.inner_text()


def test_a_wrong_file_is_named_before_upload_and_the_text_stays(people, shot):
    owner = people.as_demo("owner", viewport=MOBILE, locale="zh-CN")
    owner.goto(f"/p/{SLUG}/new")
    title, body = f"周末读书笔记 {uuid.uuid4().hex[:4]}", "这周读完了《置身事内》，写几点体会。"
    owner.fill('input[name="title"]', title)
    owner.fill('textarea[name="body"]', body)
    posts = []
    owner.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    limit = int(owner.locator('input[name="images"]').get_attribute("data-max-bytes"))

    big = {"name": "photo.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"0" * limit}
    _pick(owner, "images", big)
    assert _reason(owner, "images") == "图片太大了（最大 5 MB）。"
    assert owner.locator('input[name="images"]').evaluate("el => el.files.length") == 0
    assert owner.input_value('textarea[name="body"]') == body
    assert owner.input_value('input[name="title"]') == title
    assert owner.evaluate(NO_SIDEWAYS)
    shot(owner, "too large, said before upload")

    _pick(owner, "images", {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"})
    assert _reason(owner, "images") == "只能上传 PNG、JPEG、WebP 和 GIF 图片。"

    ten = [{"name": f"{n}.png", "mimeType": "image/png", "buffer": png_bytes()} for n in range(10)]
    _pick(owner, "images", ten)
    assert _reason(owner, "images") == "最多 9 张图片。"
    assert posts == []  # nothing was sent
    shot(owner, "too many, said before upload")

    _pick(owner, "images", {"name": "ok.png", "mimeType": "image/png", "buffer": png_bytes()})
    assert owner.locator(".field small.error[data-upload-error]").count() == 0
    assert owner.input_value('textarea[name="body"]') == body
    submit(owner, 'main form[method="post"]')
    assert "已发布" in flash(owner)
    assert owner.locator("main", has_text=title).count() == 1

    # The avatar has its own, smaller limit, said the same way.
    owner.goto("/accounts/settings")
    avatar_limit = int(owner.locator('input[name="avatar"]').get_attribute("data-max-bytes"))
    too_big = {"name": "me.jpg", "mimeType": "image/jpeg", "buffer": b"0" * (avatar_limit + 1)}
    _pick(owner, "avatar", too_big)
    assert _reason(owner, "avatar") == "图片太大了（最大 2 MB）。"
    assert owner.evaluate(NO_SIDEWAYS)
    shot(owner, "avatar too large")
