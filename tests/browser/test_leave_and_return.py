"""Leaving a paid planet and coming back (issue 11, points 2 and 4), as a person meets it, at
desktop and phone size, in Chinese and English: a new member pays with the test card (ticking
the rules box on checkout), opens 退出星球 on the landing page, reads what is lost (the paid
time, until when, in the browser's time zone) and the refund still on offer, leaves without
the refund, and joins again for free: the timeline is back until the same date."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP
from tests.browser.test_payments import SLUG, _fill_card, stripe_ready  # noqa: F401

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 780}

TEXT = {
    "zh-CN": {
        "leave": "退出星球",
        "title": "退出产品增长研习社？",
        "paid": "你的付费时长到",
        "lost": "退出不会退还这段时长的费用",
        "refund": "你仍可申请退款",
        "confirm": "退出，不退款",
        "cancel": "取消，继续留在星球",
        "rejoin": "免费重新加入",
        "accept": "我已阅读并同意星球规则。",
        "runs_until": "有效期至",
        "left": "你已退出",
    },
    "en": {
        "leave": "Leave this planet",
        "title": "Leave 产品增长研习社?",
        "paid": "Your paid time runs until",
        "lost": "Leaving does not refund it.",
        "refund": "You can still get your money back",
        "confirm": "Leave without a refund",
        "cancel": "Cancel, stay a member",
        "rejoin": "Join again for free",
        "accept": "I have read and accept the rules.",
        "runs_until": "Your membership runs until",
        "left": "You left",
    },
}
ZONES = {"zh-CN": "Asia/Shanghai", "en": "America/New_York"}


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _pay(page, text) -> None:
    """Checkout with the rules accepted and the test card; wait for the verified webhook."""
    page.goto(f"/p/{SLUG}/checkout")
    form = page.locator(f'form[action$="/p/{SLUG}/checkout"][method="post"]')
    assert form.locator(".rules-accept").is_visible()  # the rules, shown on this way in
    form.locator(".rules-accept label.check", has_text=text["accept"]).click()
    form.locator('[type="submit"]:not([formaction])').click()
    page.wait_for_url("**/payments/*/pay")
    page.locator("#card-element input").first.wait_for()
    _fill_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    page.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)


@pytest.mark.parametrize(
    ("viewport", "locale"),
    [(DESKTOP, "zh-CN"), (PHONE, "zh-CN"), (DESKTOP, "en"), (PHONE, "en")],
    ids=["desktop-zh", "phone-zh", "desktop-en", "phone-en"],
)
def test_leave_a_paid_planet_and_come_back_free(people, shot, stripe_ready, viewport, locale):  # noqa: F811
    text, zone = TEXT[locale], ZONES[locale]
    page = people.new(viewport=viewport, locale=locale, timezone=zone)
    people.sign_up(page, "来去自由" if locale == "zh-CN" else "Comes back")
    _pay(page, text)

    page.goto(f"/p/{SLUG}/about")
    box = page.locator(".join-box")
    until = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", box.inner_text()).group(0)
    assert f"({zone})" in box.inner_text()  # local time, labelled
    shot(page, "landing as a paying member")
    box.get_by_role("link", name=text["leave"]).click()
    page.wait_for_url(f"**/p/{SLUG}/leave")

    card = page.locator("main .leave-card")
    assert card.locator("h1").inner_text() == text["title"]
    paid = card.locator(".paid-term").inner_text()
    assert text["paid"] in paid and until in paid and f"({zone})" in paid and text["lost"] in paid
    offer = card.locator(".refund-offer")
    assert offer.is_visible() and text["refund"] in offer.inner_text()
    assert f"({zone})" in offer.inner_text()  # the refund deadline, in local time too
    assert card.get_by_role("link", name=text["cancel"]).is_visible()
    _no_sideways_scroll(page)
    shot(page, "the leave page says what is lost")

    card.get_by_role("button", name=text["confirm"]).click()
    page.wait_for_url(f"**/p/{SLUG}/about")
    assert text["left"] in page.locator(".flash").first.inner_text()
    box = page.locator(".join-box")
    assert until in box.locator(".paid-term").inner_text()
    _no_sideways_scroll(page)
    shot(page, "left: the landing offers the rest back")
    page.goto(f"/p/{SLUG}/")
    assert page.url.endswith(f"/p/{SLUG}/about"), page.url  # no access while away

    page.locator(".join-box").get_by_role("link", name=text["rejoin"]).click()
    page.wait_for_url(f"**/p/{SLUG}/join")
    join = page.locator("main form.join-form")
    assert join.locator(".rules-text").inner_text().strip() != ""
    assert until in page.locator("main .paid-term").inner_text()
    _no_sideways_scroll(page)
    shot(page, "join again: the rules and the paid time")
    join.locator(".rules-accept label.check", has_text=text["accept"]).click()
    join.get_by_role("button", name=text["rejoin"]).click()
    page.wait_for_url(f"**/p/{SLUG}/")
    assert page.locator("article.topic", has_text="每周增长周报").count() == 1
    shot(page, "back on the timeline")

    page.goto(f"/p/{SLUG}/about")
    runs = page.locator(".join-box").inner_text()
    assert text["runs_until"] in runs and until in runs  # the same term, not a new year
