"""Seats nobody paid for themselves. A member buys a year of the paid demo planet for a friend
from its landing page, pays with the test card and gets a code; the friend redeems it from the
same landing page and reads; a third person trying the same code is refused. The owner grants a
free seat from the Manage menu; the invited person joins from the mailed link, and the seat shows
as accepted and counted apart from paid ones. In English on a laptop and in Chinese on a phone."""

from __future__ import annotations

import email
import re
import uuid
from datetime import date, timedelta
from email import policy
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, MOBILE, NEW_PASSWORD
from tests.browser.test_payments import _fill_card

pytestmark = pytest.mark.browser

SLUG = "growth-club"  # the demo's paid planet, ¥199 a year
WORDS = {
    "en": {
        "give": "Give this planet as a gift",
        "redeem": "Redeem a gift code",
        "redeem_button": "Redeem",
        "welcome": "Enjoy your gift.",
        "used": "already",
        "grant": "Grant a free seat",
        "send": "Send the invitation",
        "accept": "Accept and join",
        "create": "Create an account",
        "not_yet": "Not yet",
        "manage": "Manage",
    },
    "zh-CN": {
        "give": "把这个星球作为礼物送人",
        "redeem": "兑换礼物码",
        "redeem_button": "兑换",
        "welcome": "请享用你的礼物。",
        "used": "已",
        "grant": "赠送免费席位",
        "send": "发送邀请",
        "accept": "接受并加入",
        "create": "注册账号",
        "not_yet": "尚未",
        "manage": "管理",
    },
}
CASES = [("en", DESKTOP), ("zh-CN", MOBILE)]
IDS = ["en-laptop", "zh-phone"]


@pytest.fixture
def stripe_ready(planet_server):
    if planet_server.stripe_url is None:
        from tests.browser.conftest import _unavailable

        _unavailable(f"gift journeys need localstripe: {planet_server.stripe_problem}")
    return planet_server.stripe_url


def _accept_rules_if_asked(page) -> None:
    rules = page.locator('input[name="accept_rules"]')
    if rules.count():
        rules.check()


def _redeem(page, words, code: str) -> None:
    page.goto(f"/p/{SLUG}/about")
    page.locator(".gift-links").get_by_role("link", name=words["redeem"]).click()
    page.wait_for_url("**/gifts/redeem")
    page.fill('input[name="code"]', code)
    page.get_by_role("button", name=words["redeem_button"]).click()
    page.wait_for_load_state()
    # A planet with rules asks for them once the code is known.
    if page.locator('input[name="accept_rules"]').count():
        _accept_rules_if_asked(page)
        page.get_by_role("button", name=words["redeem_button"]).click()
        page.wait_for_load_state()


@pytest.mark.parametrize(("locale", "viewport"), CASES, ids=IDS)
def test_a_member_gives_a_year_and_the_friend_redeems_it_once(
    people, shot, stripe_ready, locale, viewport
):
    words = WORDS[locale]
    giver = people.new(viewport=viewport, locale=locale)
    people.sign_up(giver, "Giver 送礼人")
    giver.goto(f"/p/{SLUG}/about")
    giver.locator(".gift-links").get_by_role("link", name=words["give"]).click()
    giver.wait_for_url(f"**/p/{SLUG}/gift")
    shot(giver, "gift form")
    giver.locator("form.gift-form [type=submit]").click()
    giver.wait_for_url("**/payments/*/pay")
    giver.locator("#card-element input").first.wait_for()
    _fill_card(giver, "4242424242424242")
    giver.locator("#pay-button").click()
    giver.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    # The code appears once the verified webhook has marked the gift paid.
    code_on_page = giver.locator("#gift-code")
    code_on_page.wait_for(timeout=30_000)
    code = code_on_page.inner_text().strip()
    assert re.fullmatch(r"GIFT(-[A-Z0-9]{4}){4}", code), code
    shot(giver, "gift code")

    friend = people.new(viewport=viewport, locale=locale)
    people.sign_up(friend, "Friend 朋友")
    _redeem(friend, words, code)
    friend.wait_for_url(f"**/p/{SLUG}/about")
    assert words["welcome"] in friend.locator(".flash").first.inner_text()
    shot(friend, "gift redeemed")
    friend.goto(f"/p/{SLUG}/")
    assert friend.url.rstrip("/").endswith(f"/p/{SLUG}"), friend.url  # reads, not sent away
    assert friend.locator("article.topic").count() > 0

    stranger = people.new(viewport=viewport, locale=locale)
    people.sign_up(stranger, "Late 迟到者")
    _redeem(stranger, words, code)
    assert stranger.url.endswith("/gifts/redeem"), stranger.url  # refused, stays on the form
    assert words["used"] in stranger.locator("form.redeem-form").inner_text()
    shot(stranger, "second redemption refused")
    stranger.goto(f"/p/{SLUG}/")
    assert stranger.url.endswith(f"/p/{SLUG}/about"), stranger.url  # still outside


def _invitation_link(planet_server, address: str) -> str:
    links = []
    for raw in planet_server.mails_to(address):
        message = email.message_from_string(raw, policy=policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        links += re.findall(r"https?://\S+/invitation/\S+", text)
    [link] = links
    return urlsplit(link).path


@pytest.mark.parametrize(("locale", "viewport"), CASES, ids=IDS)
def test_the_owner_grants_a_free_seat_and_the_guest_joins(
    people, planet_server, shot, locale, viewport
):
    words = WORDS[locale]
    guest = f"comp-{uuid.uuid4().hex[:8]}@example.com"
    owner = people.as_demo("owner", viewport=viewport, locale=locale)
    owner.goto(f"/p/{SLUG}/")
    manage = owner.locator(".planet-tabs details.tab-more")
    manage.locator("summary").click()
    manage.get_by_role("link", name=words["grant"]).click()
    owner.wait_for_url(f"**/p/{SLUG}/members/free-seats")
    free_before = int(owner.locator('[data-seat="comp"]').inner_text())
    form = owner.locator("form.comp-seat-form")
    form.locator('input[name="email"]').fill(guest)
    until = date.today() + timedelta(days=90)
    form.locator('input[name="until"]').fill(until.isoformat())
    form.locator('input[name="note"]').fill("Guest speaker 嘉宾")
    form.get_by_role("button", name=words["send"]).click()
    owner.wait_for_load_state()
    row = owner.locator("table.comp-seats tr", has_text=guest)
    assert words["not_yet"] in row.inner_text()
    shot(owner, "free seat granted")

    person = people.new(viewport=viewport, locale=locale)
    person.goto(_invitation_link(planet_server, guest))
    person.locator("main").get_by_role("link", name=words["create"]).click()
    person.wait_for_url(re.compile(r".*/accounts/signup\?.*"))
    assert person.input_value('input[name="email"]') == guest
    person.fill('input[name="display_name"]', "Guest 嘉宾")
    person.fill('input[name="password"]', NEW_PASSWORD)
    person.locator('main form[action$="/accounts/signup"] [type="submit"]').click()
    person.wait_for_url(re.compile(r".*/invitation/[^/]+$"))
    _accept_rules_if_asked(person)
    person.get_by_role("button", name=words["accept"]).click()
    person.wait_for_url(re.compile(rf".*/p/{SLUG}/?$"))
    assert person.locator("article.topic").count() > 0
    shot(person, "joined on a free seat")

    owner.reload()
    row = owner.locator("table.comp-seats tr", has_text=guest)
    assert words["not_yet"] not in row.inner_text()
    assert int(owner.locator('[data-seat="comp"]').inner_text()) == free_before + 1
    shot(owner, "free seat accepted")
