"""A renewal campaign brings a lapsed member back: a reader who paid for the demo's paid planet
a year ago and lapsed ten days ago; the owner opens Segments and campaigns from the Manage menu,
picks "lapsed in the last 30 days", sends a renewal campaign with a 20% coupon; the member
follows the mailed link, lands on the checkout with the coupon applied, pays with the test card;
the campaign's funnel reads sent 1, opened 1, renewed 1. In Chinese on a phone."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy
from urllib.parse import urlsplit

import pytest

from tests.browser.community import shift, sql
from tests.browser.conftest import DESKTOP, MOBILE
from tests.browser.test_payments import _checkout, _fill_card

pytestmark = pytest.mark.browser
SLUG = "growth-club"


@pytest.fixture
def stripe_ready(planet_server):
    if planet_server.stripe_url is None:
        from tests.browser.conftest import _unavailable

        _unavailable(f"campaign journeys need localstripe: {planet_server.stripe_problem}")
    return planet_server.stripe_url


def _pay(page) -> None:
    _fill_card(page, "4242424242424242")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    page.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)


def _lapse(server, address: str) -> None:
    """Move the member's year (and its payment) back by 375 days: lapsed ten days ago."""
    [(user_id,)] = sql(server, "SELECT id FROM users WHERE email = ?", (address,))
    [(membership_id, status)] = sql(
        server,
        "SELECT m.id, m.status FROM memberships m JOIN planets p ON p.id = m.planet_id "
        "WHERE p.slug = ? AND m.user_id = ?",
        (SLUG, user_id),
    )
    year = timedelta(days=-375)
    shift(server, "memberships", membership_id, ("started_at", "expires_at"), year)
    expired = "EXPIRED" if status.isupper() else "expired"
    sql(server, "UPDATE memberships SET status = ? WHERE id = ?", (expired, membership_id))
    for (payment_id,) in sql(server, "SELECT id FROM payments WHERE user_id = ?", (user_id,)):
        shift(server, "payments", payment_id, ("created_at", "paid_at"), year)


def _campaign_link(server, address: str) -> str:
    links = []
    for raw in server.mails_to(address):
        message = email.message_from_string(raw, policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        links += re.findall(r"https?://\S+/c/[0-9a-f]{32}", text)
    assert len(links) == 1, links
    return urlsplit(links[0]).path


def test_a_renewal_campaign_with_a_coupon_brings_a_lapsed_member_back(
    people, planet_server, shot, stripe_ready
):
    reader = people.new(viewport=MOBILE)
    address = people.sign_up(reader, "回头客")
    _checkout(reader, shot, "joining a year ago")
    _pay(reader)
    _lapse(planet_server, address)
    reader.goto(f"/p/{SLUG}/")
    assert reader.url.endswith(f"/p/{SLUG}/about"), reader.url  # lapsed: outside again

    owner = people.as_demo("owner", viewport=DESKTOP)
    owner.goto(f"/p/{SLUG}/")
    manage = owner.locator(".planet-tabs details.tab-more")
    manage.locator("summary").click()
    manage.get_by_role("link", name="成员分组与活动").click()
    owner.wait_for_url(f"**/p/{SLUG}/segments*")
    owner.select_option('select[name="segment"]', "lapsed")
    owner.fill('input[name="days"]', "30")
    owner.get_by_role("button", name="显示").click()
    owner.wait_for_url("**segment=lapsed**")
    members = owner.locator("table.segment-table")
    assert "回头客" in members.inner_text()
    shot(owner, "the lapsed segment")
    form = owner.locator("form.campaign-form")
    form.locator('input[name="subject"]').fill("我们想你了")
    form.locator('textarea[name="body"]').fill("回来续一年吧，这次有八折。")
    form.locator('select[name="percent"]').select_option("20")
    form.locator("[type=submit]").click()
    owner.wait_for_url(f"**/p/{SLUG}/campaigns/*")
    assert owner.locator('[data-funnel="sent"]').inner_text() == "1"
    shot(owner, "campaign sent")

    reader.goto(_campaign_link(planet_server, address))
    reader.wait_for_url(f"**/p/{SLUG}/checkout?**coupon=**")
    assert "159.20" in reader.locator("main").inner_text()  # ¥199 less 20%
    shot(reader, "checkout with the campaign's coupon")
    checkout = reader.locator(f'form[action$="/p/{SLUG}/checkout"][method="post"]')
    rules = checkout.locator('input[name="accept_rules"]')
    if rules.count():
        rules.check()
    checkout.locator('[type="submit"]:not([formaction])').click()
    reader.wait_for_url("**/payments/*/pay")
    reader.locator("#card-element input").first.wait_for()
    _pay(reader)
    reader.goto(f"/p/{SLUG}/")
    assert reader.url.rstrip("/").endswith(f"/p/{SLUG}"), reader.url  # back in
    shot(reader, "back in")

    owner.reload()
    assert owner.locator('[data-funnel="opened"]').inner_text() == "1"
    assert owner.locator('[data-funnel="renewed"]').inner_text() == "1"
    shot(owner, "funnel")
