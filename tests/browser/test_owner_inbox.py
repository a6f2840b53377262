"""The owner's inbox (issue 11 point 9), as people meet it, on a phone in Chinese and on a
laptop in English: a member asks the owner a question; the owner, from the planet's page, sees
the count on the Q&A tab, clicks it and lands on the waiting question, answers it, and the
count drops. Counts are compared with what the owner saw before (other journeys on the same
server may leave questions waiting)."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import DESKTOP

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 780}

CASES = {
    "zh-phone": {
        "slug": "community-lab",
        "locale": "zh-CN",
        "viewport": PHONE,
        "qa": "问答",
        "ask": "提问",
        "waiting": "等我回答",
        "question": "林老师，新成员第一周最该做什么？",
        "answer": "先读精华区，再发一篇自我介绍。",
    },
    "en-laptop": {
        "slug": "indie-builders",
        "locale": "en",
        "viewport": DESKTOP,
        "qa": "Q&A",
        "ask": "Ask",
        "waiting": "Waiting for my answer",
        "question": "What should a new member do in the first week?",
        "answer": "Read the essence topics, then introduce yourself.",
    },
}


def _waiting(page, text) -> int:
    """The count on the Q&A tab of the planet header (0 without a badge)."""
    tab = page.locator(".planet-header .tabs a", has_text=text["qa"])
    assert tab.count() == 1
    badge = tab.locator(".badge.waiting")
    return int(badge.inner_text()) if badge.count() else 0


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("case", list(CASES))
def test_owner_sees_the_waiting_question_answers_it_and_the_count_drops(people, shot, case):
    text = CASES[case]
    slug, marker = text["slug"], uuid.uuid4().hex[:6]
    question = f"{text['question']} ({marker})"
    owner = people.as_demo("owner", viewport=text["viewport"], locale=text["locale"])
    owner.goto(f"/p/{slug}/")
    before = _waiting(owner, text)

    member = people.as_demo("member", viewport=text["viewport"], locale=text["locale"])
    member.goto(f"/p/{slug}/")
    member.locator(".toolbar a", has_text=text["ask"]).click()
    member.wait_for_url(f"**/p/{slug}/ask")
    member.select_option('select[name="addressee"]', label="林星主")
    member.fill('textarea[name="body"]', question)
    # Not a FAQ suggestion's "This answers my question" (`formaction`), if one has arrived.
    member.locator(f'main form[action$="/p/{slug}/ask"] [type="submit"]:not([formaction])').click()
    member.wait_for_url(f"**/p/{slug}/t/*")
    shot(member, "member asked the owner")
    # A member has no count: nothing waits for a member's answer.
    assert member.locator(".planet-header .badge.waiting").count() == 0

    # The owner, on the planet's page, sees one more waiting on the Q&A tab.
    owner.reload()
    assert _waiting(owner, text) == before + 1
    _no_sideways_scroll(owner)
    shot(owner, "the count on the Q&A tab")

    # The tab opens on the questions waiting for the owner's answer.
    owner.locator(".planet-header .tabs a", has_text=text["qa"]).click()
    owner.wait_for_url(f"**/p/{slug}/questions")
    assert owner.locator("nav.filters a.active").inner_text() == text["waiting"]
    card = owner.locator("article.topic", has_text=marker)
    assert card.count() == 1
    _no_sideways_scroll(owner)
    shot(owner, "opens on the waiting question")

    card.locator("a.muted").first.click()
    owner.wait_for_url(f"**/p/{slug}/t/*")
    owner.fill('form[action$="/answer"] textarea[name="body"]', f"{text['answer']} {marker}")
    owner.locator('form[action$="/answer"] [type="submit"]').click()
    owner.wait_for_load_state()
    assert text["answer"] in owner.locator(".answer").inner_text()
    assert _waiting(owner, text) == before  # the count dropped
    _no_sideways_scroll(owner)
    shot(owner, "answered, the count dropped")

    owner.goto(f"/p/{slug}/")
    assert _waiting(owner, text) == before
