"""Leak protection in the browser: the owner switches the watermark and copy protection on in
the settings, a member reading a topic sees their name and number over the page and its image,
and cannot select its text; the owner turns the number from the member's screen back into the
member on the leak lookup page, reached from the Manage menu."""

from __future__ import annotations

import re
import uuid
from io import BytesIO

import pytest
from PIL import Image

from tests.browser.community import sql
from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
SLUG = "indie-builders"


def _png(path) -> None:
    buffer = BytesIO()
    Image.new("RGB", (640, 420), (235, 240, 245)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())


def test_watermarks_trace_a_screenshot_back_to_its_member(people, shot, planet_server, tmp_path):
    marker = uuid.uuid4().hex[:6]
    owner = people.as_demo("owner", viewport=DESKTOP, locale="en-US")
    try:
        owner.goto(f"/p/{SLUG}/")
        owner.locator("details.tab-more summary").click()
        owner.locator("details.tab-more a", has_text="Settings").click()
        owner.wait_for_url(f"**/p/{SLUG}/settings")
        owner.get_by_label("Watermark what members read").check()
        owner.get_by_label("Turn off copying and download buttons").check()
        shot(owner, "leak protection in the settings")
        owner.locator("form.planet-form button[type=submit]").click()
        owner.wait_for_load_state()
        assert owner.locator(".flash-error").count() == 0

        image = tmp_path / "chart.png"
        _png(image)
        owner.goto(f"/p/{SLUG}/new")
        owner.fill('textarea[name="body"]', f"Our numbers this month {marker}")
        owner.set_input_files('input[name="images"]', str(image))
        owner.locator('main form [type="submit"]', has_text="Publish").first.click()
        owner.wait_for_url(re.compile(rf".*/p/{SLUG}/t/\d+"))
        topic_url = owner.url

        member = people.as_demo("member", viewport=MOBILE, locale="zh-CN")
        member.goto(topic_url)
        layer = member.locator(".watermark-layer")
        mark = layer.get_attribute("data-watermark")
        assert mark and "Mia Member" in mark and "No." in mark, mark
        picture = member.locator(".gallery img").first
        picture.wait_for(state="visible")
        member.wait_for_function("img => img.complete && img.naturalWidth === 640",
                                 arg=picture.element_handle())  # fmt: skip
        assert member.evaluate("document.body.hasAttribute('data-no-copy')")
        selectable = member.locator("article").first.evaluate(
            "el => getComputedStyle(el).userSelect || getComputedStyle(el).webkitUserSelect"
        )
        assert selectable == "none"
        shot(member, "a member reads a watermarked topic")

        number = mark.rsplit("No.", 1)[1]
        owner.goto(f"/p/{SLUG}/")
        owner.locator("details.tab-more summary").click()
        owner.locator("details.tab-more a", has_text="Leak lookup").click()
        owner.wait_for_url(f"**/p/{SLUG}/leaks")
        owner.get_by_label("Member number").fill(number)
        owner.get_by_role("button", name="Look up").click()
        owner.wait_for_load_state()
        found = owner.locator(".leak-found")
        assert "Mia Member" in found.inner_text()
        shot(owner, "the owner finds whose screenshot it was")
    finally:
        sql(planet_server, "UPDATE planets SET watermark = 0, copy_protection = 0 WHERE slug = ?",
            (SLUG,))  # fmt: skip
