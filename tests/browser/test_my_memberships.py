"""A paying member finds their memberships and their earnings by clicking, as a person would:
from the home page through the account menu of the top bar, and from the planet's own header.
In Chinese on a phone and in English on a laptop. The owner, who has no membership to renew,
gets no member links in their planet's header."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_payments import _fill_card, stripe_ready  # noqa: F401

pytestmark = pytest.mark.browser

# The demo's paid planet in dollars, $99 a year: no other journey pays for it, so the payments of
# these journeys leave the income of growth-club (test_payments) as those journeys expect it.
SLUG = "indie-builders"
PLANET = "Indie Builders"
PRICE = "99.00"

WORDS = {
    "zh-CN": {
        "memberships": "我的星球会员",
        "earnings": "我的收入",
        "membership": "我的会员资格",
        "active": "有效期至",
    },
    "en": {
        "memberships": "My memberships",
        "earnings": "My earnings",
        "membership": "My membership",
        "active": "Active until",
    },
}


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def become_paying_member(people, name: str, locale: str, viewport):
    """A new account that pays the paid demo planet's yearly price with a test card."""
    page = people.new(viewport=viewport, locale=locale)
    people.sign_up(page, name)
    page.goto(f"/p/{SLUG}/about")
    page.locator(f'.join-box a[href*="/p/{SLUG}/checkout"]').first.click()
    page.wait_for_url(f"**/p/{SLUG}/checkout")
    rules = page.locator(f'form[action$="/p/{SLUG}/checkout"] input[name="accept_rules"]')
    if rules.count():
        rules.check()
    page.locator(f'form[action$="/p/{SLUG}/checkout"][method="post"] [type="submit"]').click()
    page.wait_for_url("**/payments/*/pay")
    page.locator("#card-element input").first.wait_for()
    _fill_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    page.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)
    return page


def open_account_menu(page):
    menu = page.locator("header details.account-menu")
    menu.locator("summary").click()
    assert menu.get_attribute("open") is not None
    return menu


@pytest.mark.parametrize(
    ("locale", "viewport"), [("zh-CN", MOBILE), ("en", DESKTOP)], ids=["zh-phone", "en-laptop"]
)
def test_a_paying_member_reaches_memberships_and_earnings_by_links(
    people,
    shot,
    stripe_ready,  # noqa: F811 - the fixture
    locale,
    viewport,
):
    words = WORDS[locale]
    page = become_paying_member(people, f"会员链接{locale[:2]}", locale, viewport)

    # From the home page, the account menu of the top bar.
    page.goto("/")
    shot(page, "home")
    menu = open_account_menu(page)
    shot(page, "account menu open")
    menu.get_by_role("link", name=words["memberships"]).click()
    page.wait_for_url("**/me/memberships")
    assert page.locator("main h1").inner_text() == words["memberships"]
    membership = page.locator("section.membership", has_text=PLANET)
    assert words["active"] in membership.inner_text()
    assert PRICE in page.locator(".money-table tbody").inner_text()
    no_sideways_scroll(page)
    shot(page, "my memberships from the menu")

    open_account_menu(page).get_by_role("link", name=words["earnings"]).click()
    page.wait_for_url("**/me/earnings")
    assert page.locator("main h1").inner_text() == words["earnings"]
    no_sideways_scroll(page)
    shot(page, "my earnings from the menu")

    # From the planet's own header: home, the planet in My planets, then the member links.
    page.locator("header a.brand").click()
    page.wait_for_url("**/me/planets")
    page.locator(".planet-card-link", has_text=PLANET).click()
    page.wait_for_url(f"**/p/{SLUG}/")
    links = page.locator(".planet-header .member-links")
    assert links.is_visible()
    shot(page, "planet header with the member links")
    links.get_by_role("link", name=words["earnings"]).click()
    page.wait_for_url("**/me/earnings")
    assert page.locator("main h1").inner_text() == words["earnings"]

    page.locator("header a.brand").click()
    page.locator(".planet-card-link", has_text=PLANET).click()
    page.wait_for_url(f"**/p/{SLUG}/")
    page.locator(".planet-header .member-links").get_by_role(
        "link", name=words["membership"]
    ).click()
    page.wait_for_url(f"**/me/memberships#planet-{SLUG}")
    assert page.locator(f"section#planet-{SLUG}", has_text=PLANET).is_visible()
    shot(page, "my membership from the planet header")


def test_the_owner_has_no_member_links_in_their_planet_header(people):
    owner = people.as_demo("owner", viewport=DESKTOP)
    owner.goto(f"/p/{SLUG}/")
    assert owner.locator(".planet-header .tabs").is_visible()
    assert owner.locator(".planet-header .member-links").count() == 0
    # The account menu has them for everyone.
    menu = open_account_menu(owner)
    assert menu.get_by_role("link", name="我的星球会员").is_visible()
