"""The owner's first hour (issue 11 point 17): after creating a planet the owner sees a checklist
with its progress, does a step through its link and comes back to see it counted; the planet's
tabs stay on one line on a laptop and never push a phone's page sideways."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 760}
WORDS = {
    "zh": {"progress": r"已完成 (\d) / 5", "topic": "写主题", "title": "开星球的第一个小时",
           "manage": "管理", "settings": "设置"},
    "en": {"progress": r"(\d) of 5 done", "topic": "Write a topic", "title": "Your first hour",
           "manage": "Manage", "settings": "Settings"},
}  # fmt: skip


def _progress(page, lang: str) -> int:
    text = page.locator(".first-hour").inner_text()
    return int(re.search(WORDS[lang]["progress"], text).group(1))


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(
    ("lang", "locale", "viewport"), [("zh", "zh-CN", PHONE), ("en", "en-US", DESKTOP)]
)
def test_new_owner_follows_the_checklist(people, shot, lang, locale, viewport):
    words = WORDS[lang]
    page = people.new(viewport=viewport, locale=locale)
    people.sign_up(page, "新星主" if lang == "zh" else "New Owner")
    slug = f"first-{uuid.uuid4().hex[:6]}"
    page.goto("/planets/new")
    page.fill('input[name="name"]', f"First hour {slug}")
    page.fill('input[name="slug"]', slug)
    page.fill('textarea[name="description"]', "A planet made in a browser.")
    page.fill('input[name="price"]', "0")
    page.locator("main form.planet-form [type=submit]").first.click()
    page.wait_for_url(f"**/p/{slug}/about")

    checklist = page.locator(".first-hour")
    assert words["title"] in checklist.inner_text()
    assert _progress(page, lang) == 0  # no cover, no rules, no topic, nobody invited, no guest
    assert checklist.locator("li.todo").count() == 5
    assert _no_sideways_scroll(page)
    shot(page, f"checklist after creating ({lang})")

    checklist.locator("li[data-step=topic] a", has_text=words["topic"]).click()
    page.wait_for_url(f"**/p/{slug}/new")
    page.locator('main form textarea[name="body"]').fill("Welcome! Start with the pinned post.")
    page.locator("main form [type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(f"/p/{slug}/")
    assert _progress(page, lang) == 1
    assert page.locator(".first-hour li[data-step=topic]").get_attribute("class") == "done"
    shot(page, f"checklist after the first topic ({lang})")

    # The owner's tabs: one row (a laptop fits it; a phone scrolls the row, not the page), the
    # owner's pages under one Manage menu that opens without JavaScript.
    row = page.locator(".planet-header .planet-tabs").bounding_box()
    tab = page.locator(".planet-header .tabs a").first.bounding_box()
    assert row["height"] < tab["height"] * 1.5, (row, tab)
    if viewport is DESKTOP:
        tabs = page.locator(".planet-header .tabs")
        assert tabs.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing hidden
    assert _no_sideways_scroll(page)
    page.locator(".planet-header .tab-more summary", has_text=words["manage"]).click()
    settings = page.locator(".planet-header .tab-more a", has_text=words["settings"])
    assert settings.is_visible()
    assert _no_sideways_scroll(page)
    shot(page, f"manage menu open ({lang})")

    page.locator(".first-hour-dismiss [type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".first-hour").count() == 0


def test_members_see_no_checklist_and_the_tabs_fit(people, shot):
    member = people.as_demo("member", viewport=PHONE)
    member.goto("/p/community-lab/")
    assert member.locator(".first-hour").count() == 0
    assert member.locator(".planet-header .tab-more").count() == 0  # nothing to manage
    assert _no_sideways_scroll(member)
    shot(member, "member tabs on a phone")
