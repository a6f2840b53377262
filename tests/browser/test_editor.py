"""The writing editor: a Markdown toolbar (bold, list, link, image, quote) and a preview, in zh
on a phone and in en on a laptop; without JavaScript the toolbar is hidden and the plain form
still publishes."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DEMO, DESKTOP, MOBILE

pytestmark = pytest.mark.browser
SLUG = "growth-club"  # the demo owner's paid planet


@pytest.mark.parametrize(
    ("viewport", "locale", "preview", "write"),
    [
        pytest.param(MOBILE, "zh-CN", "预览", "编辑", id="zh-phone"),
        pytest.param(DESKTOP, "en-US", "Preview", "Write", id="en-laptop"),
    ],
)
def test_bold_list_and_preview_then_publish(people, shot, viewport, locale, preview, write):
    page = people.as_demo("owner", viewport=viewport, locale=locale)
    page.goto(f"/p/{SLUG}/new")
    toolbar = page.locator(".md-toolbar")
    expect(toolbar).to_be_visible()
    body = page.locator("textarea#body")
    body.fill("Hello world")
    body.evaluate("area => area.setSelectionRange(6, 11)")

    toolbar.locator('[data-md="bold"]').click()
    assert body.input_value() == "Hello **world**"
    toolbar.locator('[data-md="list"]').click()
    assert body.input_value() == "- Hello **world**"
    shot(page, "toolbar used")

    toolbar.locator('[data-md="preview"]').click()
    rendered = page.locator(".md-preview")
    expect(rendered.locator("li strong")).to_have_text("world")
    expect(body).to_be_hidden()
    assert toolbar.locator('[data-md="preview"]').inner_text() == write
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "preview")
    toolbar.locator('[data-md="preview"]').click()
    expect(body).to_be_visible()
    assert toolbar.locator('[data-md="preview"]').inner_text() == preview

    title = f"Editor {uuid.uuid4().hex[:6]}"
    page.fill('input[name="title"]', title)
    page.locator('main form [type="submit"]').first.click()
    page.wait_for_url(re.compile(rf".*/p/{SLUG}/t/\d+.*"))
    expect(page.locator("article li strong", has_text="world").first).to_be_visible()
    shot(page, "published")
    assert people.server_errors == [] and people.script_errors == []


def test_without_javascript_the_plain_form_still_publishes(people, shot):
    people.as_demo("owner", viewport=DESKTOP).close()  # signs in once, by the form
    context = people.browser.new_context(
        base_url=people.base_url,
        viewport=DESKTOP,
        locale="zh-CN",
        java_script_enabled=False,
        storage_state=people.states[DEMO["owner"]],
    )
    people.contexts.append(context)
    page = context.new_page()
    page.goto(f"/p/{SLUG}/new")
    expect(page.locator(".md-toolbar")).to_be_hidden()
    title = f"No script {uuid.uuid4().hex[:6]}"
    page.fill('input[name="title"]', title)
    page.fill("textarea#body", "Plain **Markdown** still works")
    page.locator('main form [type="submit"]').first.click()
    page.wait_for_url(re.compile(rf".*/p/{SLUG}/t/\d+.*"))
    expect(page.locator("article strong", has_text="Markdown").first).to_be_visible()
    shot(page, "published without JavaScript")
