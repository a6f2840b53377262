"""Journeys 3 and 4: a member asks a guest, the guest answers, the answer reaches the timeline,
people comment and like; search inside a planet in Chinese and English."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
SLUG = "community-lab"


def submit(page, form: str) -> None:
    # The form's own button: the ask form also holds the FAQ suggestions' "This answers my
    # question" buttons (`formaction`), which appear when the suggestions arrive.
    page.locator(form).locator('[type="submit"]:not([formaction])').first.click()
    page.wait_for_load_state()


def test_member_asks_guest_answers_then_comment_and_like(people, shot, planet_server):
    marker = uuid.uuid4().hex[:6]
    question = f"王老师，社群的欢迎仪式怎么设计？（{marker}）"
    answer = f"先发自我介绍模板，再安排老成员接待。#欢迎仪式{marker}"

    member = people.as_demo("member", viewport=MOBILE)
    member.goto(f"/p/{SLUG}/")
    member.locator(".toolbar a", has_text="提问").click()
    member.wait_for_url(f"**/p/{SLUG}/ask")
    member.select_option('select[name="addressee"]', label="嘉宾·王老师")
    member.fill('textarea[name="body"]', question)
    shot(member, "ask form")
    submit(member, f'main form[action$="/p/{SLUG}/ask"]')
    assert "/t/" in member.url, member.url
    topic_url = member.url
    assert question in member.locator("article.topic").inner_text()
    assert member.locator(".pill", has_text="等待回答").count() == 1
    shot(member, "question sent, waiting")
    # Unanswered, the question is not shown to people outside the planet.
    outsider = people.new(viewport=MOBILE)
    outsider.goto(f"/p/{SLUG}/")
    assert question not in outsider.content()

    # The guest hears about it by email (sent through SMTP to the catcher).
    mails = [m for m in planet_server.mails_to("guest@demo.planet") if marker in m or "提问" in m]
    assert mails, "the guest got no email about the question"

    guest = people.as_demo("guest", viewport=DESKTOP)
    guest.goto(f"/p/{SLUG}/")
    guest.locator(".planet-header .tabs a", has_text="问答").click()
    guest.wait_for_url(f"**/p/{SLUG}/questions")
    guest.locator("nav.filters a[href*='show=waiting']").click()
    guest.wait_for_url("**show=waiting")
    shot(guest, "questions waiting for the guest")
    guest.locator("article.topic", has_text=marker).locator("a.muted").first.click()
    guest.wait_for_url(topic_url)
    guest.fill('form[action$="/answer"] textarea[name="body"]', answer)
    shot(guest, "guest writes the answer")
    submit(guest, 'form[action$="/answer"]')
    assert guest.locator(".answer").count() == 1
    assert "先发自我介绍模板" in guest.locator(".answer").inner_text()
    shot(guest, "answered")

    # The answered question shows on the timeline, with the answer.
    member.goto(f"/p/{SLUG}/")
    card = member.locator("article.topic", has_text=marker)
    assert card.count() == 1
    assert "先发自我介绍模板" in card.locator(".answer").inner_text()
    assert card.locator(".pill", has_text="等待回答").count() == 0
    shot(member, "timeline with the answer")

    # Like it from the timeline (the page comes back to the same place).
    card.locator("button.like").click()
    member.wait_for_load_state()
    card = member.locator("article.topic", has_text=marker)
    assert card.locator("button.like").get_attribute("aria-pressed") == "true"
    assert "1" in card.locator("button.like").inner_text()
    shot(member, "liked")

    # Comment on it from the topic page; the guest likes the comment.
    member.goto(topic_url)
    member.fill(".comment-form textarea", f"谢谢王老师，马上试试！{marker}")
    submit(member, ".comment-form")
    comments = member.locator("#comments .comment")
    assert comments.filter(has_text=f"马上试试！{marker}").count() == 1
    assert member.locator("#comments h2 small").inner_text() == "1"
    shot(member, "commented")

    guest.goto(topic_url)
    comment = guest.locator("#comments .comment", has_text=marker)
    comment.locator("button.like").click()
    guest.wait_for_load_state()
    comment = guest.locator("#comments .comment", has_text=marker)
    assert comment.locator("button.like").get_attribute("aria-pressed") == "true"
    shot(guest, "guest liked the comment")


@pytest.mark.parametrize(
    ("slug", "query", "expected", "absent"),
    [
        (SLUG, "社群运营", "社群冷启动的七个步骤", "本周闲聊"),
        ("indie-builders", "pricing", "Pricing your first SaaS", "Weekly wins thread"),
    ],
    ids=["chinese", "english"],
)
def test_search_inside_a_planet(people, shot, slug, query, expected, absent):
    page = people.as_demo("member", viewport=DESKTOP)
    page.goto(f"/p/{slug}/")
    box = page.locator('.toolbar input[name="q"]')
    box.fill(query)
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator('.toolbar input[name="q"]').input_value() == query
    results = page.locator("main article.topic")
    assert results.count() >= 1
    assert results.filter(has_text=expected).count() == 1
    assert results.filter(has_text=absent).count() == 0
    shot(page, "results")

    # Nothing found: an empty result, not an error.
    page.locator('.toolbar input[name="q"]').fill("zzqq不存在的词")
    page.locator(".toolbar form.search button").click()
    page.wait_for_load_state()
    assert page.locator("main article.topic").count() == 0
    shot(page, "no results")

    # A visitor cannot search inside a paid planet's content.
    if slug == "indie-builders":
        visitor = people.new(viewport=MOBILE)
        visitor.goto(f"/p/{slug}/search?q={query}")
        # Sent to the landing page (its essence preview is public by design), no results.
        assert visitor.url.endswith(f"/p/{slug}/about"), visitor.url
        assert visitor.locator("main article.topic").count() == 0
        assert visitor.locator('input[name="q"]').count() == 0
        shot(visitor, "visitor sent to the landing page")
