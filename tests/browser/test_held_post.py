"""A held post is approved from the queue: the owner adds a sensitive word from the Manage
menu's review queue; a member asks a question containing it and is told it awaits review (they
see it on their own page, another member does not); the owner approves it from the queue and the
question is out, with the approval in the audit log. In Chinese on a phone and in English on a
laptop."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.community import newcomer
from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
WORDS = {
    "zh-CN": {"queue": "审核队列", "save": "保存", "approve": "通过", "audit": "审计日志",
              "ask": "提交问题", "waiting": "等待审核", "approved": "已通过并发布。"},
    "en": {"queue": "Review queue", "save": "Save", "approve": "Approve", "audit": "Audit log",
           "ask": "Send the question", "waiting": "Awaiting review",
           "approved": "Approved and published."},
}  # fmt: skip


@pytest.mark.parametrize(
    ("locale", "viewport", "slug"),
    [("zh-CN", MOBILE, "community-lab"), ("en", DESKTOP, "community-lab")],
    ids=["zh-phone", "en-laptop"],
)
def test_a_held_question_is_approved_from_the_queue(people, shot, locale, viewport, slug):
    words = WORDS[locale]
    word = f"blocked{uuid.uuid4().hex[:6]}"
    owner = people.as_demo("owner", viewport=viewport, locale=locale)
    owner.goto(f"/p/{slug}/")
    manage = owner.locator(".planet-tabs details.tab-more")
    manage.locator("summary").click()
    manage.get_by_role("link", name=re.compile(words["queue"])).click()
    owner.wait_for_url(f"**/p/{slug}/moderation/")
    box = owner.locator("form.words-form textarea")
    box.fill(box.input_value() + "\n" + word.upper())  # matched whatever its case
    owner.locator("form.words-form").get_by_role("button", name=words["save"]).click()
    owner.wait_for_url(f"**/p/{slug}/moderation/")
    assert word.upper() in owner.locator("form.words-form textarea").input_value()

    member = people.as_demo("member", viewport=viewport, locale=locale)
    member.goto(f"/p/{slug}/ask")
    question = f"Can I share the {word} link here? {uuid.uuid4().hex[:6]}"
    member.locator('textarea[name="body"]').fill(question)
    # Not a FAQ suggestion's "This answers my question" (`formaction`), if one has arrived.
    member.locator(f'form[action$="/p/{slug}/ask"] button[type=submit]:not([formaction])').click()
    member.wait_for_url(f"**/p/{slug}/moderation/mine")
    held = member.locator(".held-item", has_text=question)
    assert words["waiting"] in held.inner_text()
    shot(member, "held, awaiting review")

    other, _name = newcomer(people, "Reader", slug=slug, viewport=viewport, locale=locale)
    other.goto(f"/p/{slug}/questions")
    assert question not in other.locator("main").inner_text()

    owner.goto(f"/p/{slug}/moderation/")
    item = owner.locator(".held-item", has_text=question)
    shot(owner, "the queue")
    item.get_by_role("button", name=words["approve"]).click()
    owner.wait_for_url(f"**/p/{slug}/moderation/")
    assert words["approved"] in owner.locator(".flash").first.inner_text()
    assert owner.locator(".held-item", has_text=question).count() == 0
    owner.goto(f"/p/{slug}/questions?show=waiting")
    assert question in owner.locator("main").inner_text()
    shot(owner, "the question, published")
    owner.goto(f"/p/{slug}/moderation/audit")
    assert owner.locator('tr[data-action="held_approved"]').count() >= 1
    shot(owner, "audit log")
