"""Paid questions (付费提问): the guest sets a price open to visitors; a visitor (signed in, not
a member) pays to ask the guest with localstripe's card element; the guest sees it first in the
waiting list with its deadline and answers; the asker reads the answer. In Chinese and in
English, the asker on a phone and on a desktop (the guest on the other one)."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser

JOURNEYS = [
    pytest.param("growth-club", "zh-CN", MOBILE, DESKTOP, id="zh-phone"),
    pytest.param("growth-club", "zh-CN", DESKTOP, MOBILE, id="zh-desktop"),
    pytest.param("indie-builders", "en", DESKTOP, MOBILE, id="en-desktop"),
    pytest.param("indie-builders", "en", MOBILE, DESKTOP, id="en-phone"),
]
PRICE = re.compile(r"\D12(\.00)?\b")  # ¥12, $12.00
TEXT = {
    "zh-CN": {"waiting": "已付费，等待回答", "confirmed": "付款已确认，你的提问已发出。"},
    "en": {"waiting": "Paid, waiting for the answer", "confirmed": "Your question was sent."},
}


@pytest.fixture
def stripe_ready(planet_server):
    if planet_server.stripe_url is None:
        from tests.browser.conftest import _unavailable

        _unavailable(f"payments journeys need localstripe: {planet_server.stripe_problem}")
    return planet_server.stripe_url


def _fill_card(page, number: str = "4242424242424242") -> None:
    card = page.locator("#card-element")
    card.locator('input[placeholder="number"]').fill(number)
    card.locator('input[placeholder="exp_month"]').fill("12")
    card.locator('input[placeholder="exp_year"]').fill("34")
    card.locator('input[placeholder="cvc"]').fill("123")
    card.locator('input[placeholder="postal_code"]').fill("10001")


def _fits(page) -> None:
    """Nothing runs off the side of the screen (a phone is 390 px wide)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow


@pytest.mark.parametrize(("slug", "locale", "visitor_view", "guest_view"), JOURNEYS)
def test_visitor_pays_to_ask_a_guest_who_answers_and_the_asker_reads(
    people, shot, stripe_ready, slug, locale, visitor_view, guest_view
):
    marker = uuid.uuid4().hex[:8]
    text = TEXT[locale]

    # The guest asks 12 for a question, from members and visitors.
    guest = people.as_demo("guest", viewport=guest_view, locale=locale)
    guest.goto(f"/p/{slug}/questions?show=answered")
    guest.locator(f'nav.filters a[href$="/p/{slug}/question-price"]').click()
    guest.wait_for_url(f"**/p/{slug}/question-price")
    form = guest.locator('form:has(input[name="which"][value="price"])')
    form.locator('input[name="price-price"]').fill("12")
    form.locator('select[name="price-audience"]').select_option("both")
    shot(guest, "guest sets a price")
    form.locator('[type="submit"]').click()
    guest.wait_for_load_state()
    assert guest.locator('input[name="price-price"]').input_value() in ("12", "12.00")

    # A visitor (a new account, not a member) finds the offer on the landing page.
    visitor = people.new(viewport=visitor_view, locale=locale)
    people.sign_up(visitor, f"Asker {marker}")
    visitor.goto(f"/p/{slug}/about")
    offers = visitor.locator("#paid-offers")
    assert PRICE.search(offers.inner_text())
    shot(visitor, "landing with the paid offer")
    offers.locator("a.button").first.click()
    visitor.wait_for_url(re.compile(rf".*/p/{slug}/ask/\d+/paid$"))
    assert PRICE.search(visitor.locator("#question-price").inner_text())
    question = f"How do I price a workshop? {marker}"
    visitor.fill('textarea[name="body"]', question)
    shot(visitor, "paid ask form")
    _fits(visitor)
    visitor.locator('main form[action$="/paid"] [type="submit"]').click()
    visitor.wait_for_url("**/payments/*/pay")
    visitor.locator("#card-element input").first.wait_for()
    assert PRICE.search(visitor.locator(".price-line .amount").inner_text())
    _fill_card(visitor)
    shot(visitor, "card filled")
    visitor.locator("#pay-button").click()

    # The question is sent when the verified webhook arrives.
    visitor.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    visitor.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)
    assert text["confirmed"] in visitor.locator("#payment-status .flash").inner_text()
    shot(visitor, "payment confirmed")
    visitor.locator("#payment-status a.button").click()
    visitor.wait_for_url(re.compile(rf".*/p/{slug}/t/\d+$"))
    topic_url = visitor.url
    assert question in visitor.locator("article.topic").inner_text()
    badge = visitor.locator("#paid-question")
    assert badge.get_attribute("data-paid-status") == "waiting"
    assert text["waiting"] in badge.inner_text()
    assert badge.locator(".deadline").count() == 1
    shot(visitor, "question paid, waiting")
    _fits(visitor)
    # Nothing else of the planet: its timeline sends the visitor to the landing page.
    visitor.goto(f"/p/{slug}/")
    assert visitor.url.endswith(f"/p/{slug}/about"), visitor.url

    # The guest sees it first among the questions waiting, with its deadline, and answers.
    guest.goto(f"/p/{slug}/questions?show=waiting")
    item = guest.locator("#paid-waiting .paid-item", has_text=marker)
    assert item.count() == 1
    assert item.locator(".deadline").count() == 1
    shot(guest, "paid questions waiting for the guest")
    item.locator("a").first.click()
    guest.wait_for_url(topic_url)
    answer = f"Price the outcome, not the hours. {marker}"
    guest.fill('form[action$="/answer"] textarea[name="body"]', answer)
    guest.locator('form[action$="/answer"] [type="submit"]').click()
    guest.wait_for_load_state()
    assert answer in guest.locator(".answer").inner_text()
    shot(guest, "answered")

    # The asker reads the answer.
    visitor.goto(topic_url)
    assert answer in visitor.locator(".answer").inner_text()
    assert visitor.locator("#paid-question").get_attribute("data-paid-status") == "answered"
    shot(visitor, "the asker reads the answer")
    _fits(visitor)
