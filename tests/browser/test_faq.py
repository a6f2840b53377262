"""The FAQ in the browser (issue 13 point 5), in Chinese on a phone and in English on a laptop:
a member starts asking a question, is offered existing answers while typing, says one answers
it and lands on the answer; the owner's FAQ counts the question that was never asked; the FAQ
(one of the Q&A tab's lists) groups answers by hashtag, recommends the owner's pick and finds
answers by search."""

from __future__ import annotations

import re

import pytest

from planet.demo_community import EN, ZH
from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
CASES = {
    "zh-CN": {"slug": "community-lab", "texts": ZH, "ask": "提问", "qa": "问答", "tab": "常见问题",
              "typed": "社群活跃度下降应该怎么处理", "question": "社群活跃度下降了怎么办",
              "answer": "先看数据", "helped": "这就是我要的答案", "search": "新人 第一周",
              "found": "新人进群第一周", "tag": "#社群运营", "recommended": "推荐"},
    "en-US": {"slug": "indie-builders", "texts": EN, "ask": "Ask", "qa": "Q&A", "tab": "FAQ",
              "typed": "where do I find paying customers", "question": "first ten customers",
              "answer": "Go where they already talk", "helped": "This answers my question",
              "search": "payment provider", "found": "Which payment provider",
              "tag": "#payments", "recommended": "Recommended"},
}  # fmt: skip


def _deflected(page, slug: str) -> int:
    page.goto(f"/p/{slug}/faq")
    return int(page.locator("[data-deflected]").get_attribute("data-deflected"))


@pytest.mark.parametrize(
    ("locale", "viewport"), [("zh-CN", MOBILE), ("en-US", DESKTOP)], ids=["zh-phone", "en-desktop"]
)
def test_a_member_is_offered_existing_answers_before_asking(people, shot, locale, viewport):
    case = CASES[locale]
    slug = case["slug"]
    owner = people.as_demo("owner", viewport=viewport, locale=locale)
    before = _deflected(owner, slug)

    member = people.as_demo("member", viewport=viewport, locale=locale)
    member.goto(f"/p/{slug}/")
    member.locator(".toolbar a", has_text=case["ask"]).first.click()
    member.wait_for_url(f"**/p/{slug}/ask")
    assert member.locator("[data-suggestion]").count() == 0
    # Typed as a person types, key by key: the suggestions follow the text.
    member.locator('textarea[name="body"]').press_sequentially(case["typed"], delay=15)
    offered = member.locator("[data-suggestion]", has_text=case["question"])
    offered.wait_for(state="visible")
    assert member.locator("[data-suggestion]").count() == 1  # only the matching answer
    assert member.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(member, "existing answers offered while typing")
    offered.get_by_role("button", name=case["helped"]).click()
    member.wait_for_url(re.compile(rf".*/p/{slug}/t/\d+$"))
    assert case["answer"] in member.locator("main").inner_text()
    shot(member, "the answer, instead of a new question")

    assert _deflected(owner, slug) == before + 1
    shot(owner, "the owner's FAQ with the deflected count")


@pytest.mark.parametrize(
    ("locale", "viewport"), [("zh-CN", DESKTOP), ("en-US", MOBILE)], ids=["zh-desktop", "en-phone"]
)
def test_the_faq_tab_groups_recommends_and_searches(people, shot, locale, viewport):
    case = CASES[locale]
    slug = case["slug"]
    member = people.as_demo("member", viewport=viewport, locale=locale)
    member.goto(f"/p/{slug}/")
    member.locator(".planet-tabs a", has_text=case["qa"]).first.click()
    member.wait_for_url(f"**/p/{slug}/questions*")
    member.locator("nav.filters a", has_text=case["tab"]).click()
    member.wait_for_url(f"**/p/{slug}/faq")
    main = member.locator("main")
    assert case["texts"].faq_summary in main.inner_text()  # the owner's recommended pick
    assert main.locator("h3", has_text=case["recommended"]).count() == 1
    assert main.locator(".faq-group h3", has_text=case["tag"]).count() == 1
    assert member.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(member, "the FAQ tab")
    member.fill('.faq-search input[name="q"]', case["search"])
    member.locator(".faq-search button").click()
    member.wait_for_url(f"**/p/{slug}/faq?q=*")
    assert case["found"] in member.locator(".faq-list").inner_text()
    shot(member, "an FAQ search")
