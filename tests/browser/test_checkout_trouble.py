"""Journeys through checkout trouble, in zh on a phone and in en on a laptop: pressing Pay with
empty card fields says what to do and gives the button back; a card number typed with spaces
(as cards print it) pays; a payment left during 3-D Secure (the tab closed on the bank's check)
is found again on its page, which offers to finish the check or start again, never to wait
forever."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_payments import SLUG, _fill_card

pytestmark = pytest.mark.browser

PEOPLE = [
    pytest.param(MOBILE, "zh-CN", id="zh-phone"),
    pytest.param(DESKTOP, "en-US", id="en-laptop"),
]
CARD_HELP = {"zh-CN": "请检查卡号", "en-US": "Check the card number"}


@pytest.fixture
def stripe_ready(planet_server):
    if planet_server.stripe_url is None:
        from tests.browser.conftest import _unavailable

        _unavailable(f"payments journeys need localstripe: {planet_server.stripe_problem}")
    return planet_server.stripe_url


def _to_the_card_form(people, shot, viewport, locale, name) -> tuple[object, int]:
    """Sign up, then landing page → Join → checkout → the card form; returns the payment id."""
    page = people.new(viewport=viewport, locale=locale)
    people.sign_up(page, name)
    page.goto(f"/p/{SLUG}/about")
    page.locator(".join-box a.button").first.click()
    page.wait_for_url(f"**/p/{SLUG}/checkout")
    rules = page.locator('form[action$="/checkout"] input[type="checkbox"][name*="rules"]')
    if rules.count():
        rules.check()
    page.locator(f'form[action$="/p/{SLUG}/checkout"][method="post"] [type="submit"]').click()
    page.wait_for_url("**/payments/*/pay")
    page.locator("#card-element input").first.wait_for()
    shot(page, f"{name} - card form")
    return page, int(re.search(r"/payments/(\d+)/pay", page.url).group(1))


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _paid(page) -> None:
    page.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    page.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)


@pytest.mark.parametrize(("viewport", "locale"), PEOPLE)
def test_empty_card_fields_then_a_number_with_spaces(people, shot, stripe_ready, viewport, locale):
    page, _ = _to_the_card_form(people, shot, viewport, locale, f"空卡 {locale}")
    button = page.locator("#pay-button")

    button.click()  # nothing typed yet

    expect(page.locator("#card-errors")).to_contain_text(CARD_HELP[locale])
    expect(button).to_be_enabled()
    shot(page, "empty card fields")
    page.evaluate("document.getElementById('pay-button').disabled = true")
    faded = page.evaluate("getComputedStyle(document.getElementById('pay-button')).opacity")
    assert float(faded) < 1  # a disabled button looks disabled
    page.evaluate("document.getElementById('pay-button').disabled = false")
    _no_sideways_scroll(page)

    _fill_card(page, "4242 4242 4242 4242")
    button.click()

    _paid(page)
    shot(page, "paid with spaces in the number")
    assert people.server_errors == [] and people.script_errors == []


@pytest.mark.parametrize(("viewport", "locale"), PEOPLE)
def test_a_payment_left_during_3d_secure_can_be_finished_or_started_again(
    people, shot, stripe_ready, viewport, locale
):
    page, payment_id = _to_the_card_form(people, shot, viewport, locale, f"验证 {locale}")
    _fill_card(page, "4000002760003184")
    page.locator("#pay-button").click()
    page.get_by_text("Complete authentication").wait_for()  # the bank's check opens...
    shot(page, "the bank's check")
    context = page.context
    page.close()  # ...and the tab is closed on it

    page = context.new_page()
    page.goto(f"/payments/{payment_id}")
    expect(page.locator("#needs-action")).to_be_visible()
    assert page.locator('meta[http-equiv="refresh"]').count() == 0  # no waiting forever
    _no_sideways_scroll(page)
    shot(page, "the payment's page offers to finish")

    if locale == "zh-CN":  # finish the check from the payment's page
        page.locator("#finish-button").click()
        page.get_by_text("Complete authentication").click()
    else:  # start again with another card
        page.locator('form[action$="/restart"] button').click()
        page.wait_for_url(f"**/payments/{payment_id}/pay")
        expect(page.locator(".flash").first).to_contain_text("Nothing was charged")
        page.locator("#card-element input").first.wait_for()
        _fill_card(page, "4242424242424242")
        page.locator("#pay-button").click()

    _paid(page)
    shot(page, "paid after all")
    assert people.server_errors == [] and people.script_errors == []
