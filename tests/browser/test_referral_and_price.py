"""Issue 11, points 3 and 7, as people meet them.

A member copies their share link from My memberships; a newcomer opens it, presses Join, is
told who invited them, pays by card, and the member sees the commission under My earnings. An
edited link still works as a plain landing page, crediting nobody. An owner who types a price
above the limit is told the limit beside the field; the largest price can be bought.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_payments import _fill_card

pytestmark = pytest.mark.browser
SLUG = "growth-club"  # the demo's paid planet, ¥199 a year
NO_SIDEWAYS = "document.documentElement.scrollWidth <= innerWidth"


@pytest.fixture
def stripe_ready(planet_server):
    if planet_server.stripe_url is None:
        from tests.browser.conftest import _unavailable

        _unavailable(f"payments journeys need localstripe: {planet_server.stripe_problem}")
    return planet_server.stripe_url


def _set_referral_rate(owner, percent: str) -> None:
    owner.goto(f"/p/{SLUG}/money")
    form = owner.locator('form:has(input[name="form"][value="pricing"])')
    form.locator('input[name="pricing-referral_rate"]').fill(percent)
    form.locator('[type="submit"]').click()
    owner.wait_for_load_state()
    assert owner.url.endswith(f"/p/{SLUG}/money"), owner.locator("main").inner_text()


def _accept_rules(page) -> None:
    """Tick the box under the planet's rules, as every way in asks (when there are rules)."""
    box = page.locator('input[type="checkbox"][name="accept_rules"]')
    if box.count():
        box.check()


def test_a_shared_link_names_the_inviter_and_pays_the_commission(people, shot, stripe_ready):
    owner = people.as_demo("owner", viewport=DESKTOP)
    _set_referral_rate(owner, "20")
    try:
        member = people.as_demo("member", viewport=MOBILE)
        member.goto("/me/memberships")
        card = member.locator("section.membership", has_text="产品增长研习社")
        link = card.locator("input.copy-field").input_value().strip()
        assert re.search(rf"/p/{SLUG}/about\?ref=[\w.-]+$", link), link
        assert member.evaluate(NO_SIDEWAYS)
        shot(member, "zh - my referral link")

        # An English-speaking newcomer opens the link, signs up from the checkout page.
        newcomer = people.new(viewport=DESKTOP, locale="en-US")
        people.sign_up(newcomer, "Invited Reader")
        newcomer.goto(link)
        join = newcomer.locator(".join-box a.button", has_text="Join")
        assert "ref=" in join.get_attribute("href")
        shot(newcomer, "en - landing from a shared link")
        join.click()
        newcomer.wait_for_url(f"**/p/{SLUG}/checkout?ref=*")
        assert newcomer.locator(".join-card").get_by_text("Invited by Mia Member").count() == 1
        shot(newcomer, "en - checkout names the inviter")
        _accept_rules(newcomer)
        newcomer.locator(
            f'form[action$="/p/{SLUG}/checkout"][method="post"] [type="submit"]'
        ).first.click()
        newcomer.wait_for_url("**/payments/*/pay")
        newcomer.locator("#card-element input").first.wait_for()
        _fill_card(newcomer, "4242424242424242")
        newcomer.locator("#pay-button").click()
        newcomer.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
        newcomer.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)
        shot(newcomer, "en - paid")

        # The member sees the commission: 20% of ¥199.
        member.goto("/me/earnings")
        row = member.locator(".money-table tr", has_text="产品增长研习社").filter(has_text="推广人")
        assert "39.80" in row.inner_text(), member.locator("main").inner_text()
        shot(member, "zh - commission in my earnings")

        # An edited link is an ordinary landing page: no error, and nobody is named.
        curious = people.new(viewport=MOBILE)
        people.sign_up(curious, "改链接的人")
        curious.goto(link[:-4] + "abcd")
        join = curious.locator(".join-box a.button", has_text="加入星球")
        assert "ref=" not in join.get_attribute("href")
        assert curious.evaluate(NO_SIDEWAYS)
        join.click()
        curious.wait_for_url(f"**/p/{SLUG}/checkout")
        assert "邀请" not in curious.locator(".join-card").inner_text()
        shot(curious, "zh - edited link names nobody")
    finally:
        _set_referral_rate(owner, "0")


@pytest.mark.parametrize(
    "locale,viewport,help_text,error_text",
    [
        ("zh-CN", MOBILE, "最高 100,000", "价格不能超过 100,000。"),
        ("en-US", DESKTOP, "at most 100,000", "The price cannot exceed 100,000."),
    ],
)
def test_the_price_field_stops_at_the_limit_and_the_limit_can_be_bought(
    people, shot, stripe_ready, locale, viewport, help_text, error_text
):
    owner = people.as_demo("owner", viewport=viewport, locale=locale)
    owner.goto("/planets/new")
    price = owner.locator('input[name="price"]')
    assert help_text in owner.locator(".field", has=price).inner_text()
    slug = f"limit-{locale[:2]}-{viewport['width']}"
    owner.fill('input[name="name"]', f"Limit {locale}")
    owner.fill('input[name="slug"]', slug)
    price.fill("1000000")
    owner.locator('main form [type="submit"]').last.click()
    # Back on the form, the typed text kept, the reason beside the field.
    owner.wait_for_load_state()
    assert "/planets/new" in owner.url
    assert price.input_value() == "1000000"
    assert owner.locator(".field", has=price).locator(".error").inner_text() == error_text
    assert owner.evaluate(NO_SIDEWAYS)
    shot(owner, f"{locale} - price above the limit")

    price.fill("100000")
    owner.locator('main form [type="submit"]').last.click()
    owner.wait_for_url(f"**/p/{slug}/about")
    assert "100,000" in owner.locator(".join-box .price").inner_text()

    buyer = people.new(viewport=viewport, locale=locale)
    people.sign_up(buyer, "Big spender")
    buyer.goto(f"/p/{slug}/about")
    buyer.locator(".join-box a.button").first.click()
    buyer.wait_for_url(f"**/p/{slug}/checkout")
    assert "100000" in buyer.locator(".price-line .amount").inner_text().replace(",", "")
    _accept_rules(buyer)
    buyer.locator(
        f'form[action$="/p/{slug}/checkout"][method="post"] [type="submit"]'
    ).first.click()
    buyer.wait_for_url("**/payments/*/pay")
    assert buyer.evaluate(NO_SIDEWAYS)
    shot(buyer, f"{locale} - the largest price at the card form")
