"""Journey 7: a visitor joins a paid planet through checkout with localstripe's card element; access
comes with the webhook, and the owner's income page shows the payment. A declined card grants
nothing."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
SLUG = "growth-club"  # the demo's paid planet, ¥199 a year


@pytest.fixture
def stripe_ready(planet_server):
    if planet_server.stripe_url is None:
        from tests.browser.conftest import _unavailable

        _unavailable(f"payments journeys need localstripe: {planet_server.stripe_problem}")
    return planet_server.stripe_url


def _checkout(page, shot, name: str) -> None:
    """From the landing page to the card form."""
    page.goto(f"/p/{SLUG}/about")
    assert "199" in page.locator(".join-box .price").inner_text()
    shot(page, f"{name} - landing")
    page.locator(".join-box a.button", has_text="加入星球").click()
    page.wait_for_url(f"**/p/{SLUG}/checkout")
    assert "199" in page.locator(".price-line .amount").inner_text()
    shot(page, f"{name} - checkout")
    form = page.locator(f'form[action$="/p/{SLUG}/checkout"][method="post"]')
    form.locator('input[name="accept_rules"]').check()  # the planet's rules, shown above
    form.locator('[type="submit"]:not([formaction])').click()
    page.wait_for_url("**/payments/*/pay")
    page.locator("#card-element input").first.wait_for()


def _fill_card(page, number: str) -> None:
    # localstripe's fake card element: plain inputs named by their placeholders.
    card = page.locator("#card-element")
    card.locator('input[placeholder="number"]').fill(number)
    card.locator('input[placeholder="exp_month"]').fill("12")
    card.locator('input[placeholder="exp_year"]').fill("34")
    card.locator('input[placeholder="cvc"]').fill("123")
    card.locator('input[placeholder="postal_code"]').fill("10001")


def _cannot_read(page) -> None:
    page.goto(f"/p/{SLUG}/")
    assert page.url.endswith(f"/p/{SLUG}/about"), page.url  # sent back to the landing page
    assert page.locator(".join-box a.button", has_text="加入星球").count() == 1


def test_join_paid_planet_with_card_and_owner_sees_income(people, shot, stripe_ready):
    visitor = people.new(viewport=MOBILE)
    people.sign_up(visitor, "付费读者")
    _cannot_read(visitor)
    _checkout(visitor, shot, "paying")
    _fill_card(visitor, "4242424242424242")
    shot(visitor, "card filled")
    visitor.locator("#pay-button").click()

    # The browser lands on the waiting page; access arrives with the verified webhook.
    visitor.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    shot(visitor, "payment page after paying")
    visitor.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)
    assert visitor.locator("#payment-status .flash").inner_text() == "付款已确认，欢迎加入！"
    shot(visitor, "payment confirmed")
    visitor.locator("#payment-status a.button").click()
    visitor.wait_for_url(f"**/p/{SLUG}/about")
    assert "有效期至" in visitor.locator(".join-box").inner_text()
    visitor.locator(".join-box a.button", has_text="进入星球").click()
    visitor.wait_for_url(f"**/p/{SLUG}/")
    assert visitor.locator("article.topic", has_text="每周增长周报").count() == 1
    shot(visitor, "reading the paid timeline")

    owner = people.as_demo("owner", viewport=DESKTOP)
    owner.goto(f"/p/{SLUG}/")
    owner.locator(".planet-header .tab-more summary", has_text="管理").click()
    owner.locator(".planet-header .tab-more a", has_text="收入").click()
    owner.wait_for_url(f"**/p/{SLUG}/income")
    row = owner.locator(".money-table tr", has_text="付费读者")
    assert row.count() == 1
    assert "199" in row.inner_text()
    # The gross counts every payment made on the shared server (other journeys pay too).
    gross = float(re.sub(r"[^\d.]", "", owner.locator("#income-gross").inner_text()))
    assert gross >= 199
    shot(owner, "income page")


def test_declined_card_grants_nothing(people, shot, stripe_ready):
    visitor = people.new(viewport=DESKTOP)
    people.sign_up(visitor, "被拒的卡")
    _checkout(visitor, shot, "declined")
    _fill_card(visitor, "4000000000000341")
    visitor.locator("#pay-button").click()
    # Either the card form shows the refusal, or the payment page says it failed.
    failed = visitor.locator('#card-errors:not(:empty), #payment-status[data-status="failed"]')
    failed.first.wait_for(timeout=30_000)
    visitor.wait_for_timeout(500)  # let the form settle (button re-enabled or page loaded)
    shot(visitor, "declined")
    if visitor.locator("#card-errors").count():
        message = visitor.locator("#card-errors").inner_text()
        assert message and message != "处理中…", message
    _cannot_read(visitor)
    shot(visitor, "still outside")

    owner = people.as_demo("owner", viewport=DESKTOP)
    owner.goto(f"/p/{SLUG}/income")
    assert owner.locator(".money-table tr", has_text="被拒的卡").count() == 0
