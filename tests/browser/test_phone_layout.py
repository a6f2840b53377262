"""At 360 px wide (a small Android phone) the money pages do not scroll sideways: the referral
link wraps in a copy field, payment and income tables become one card per row with each value
labelled. Round avatars stay round when the uploaded picture is not square. Chinese and English.
"""

from __future__ import annotations

import pytest

from tests.browser.community import png_bytes, sql
from tests.browser.test_my_memberships import SLUG, become_paying_member
from tests.browser.test_payments import stripe_ready  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 760}

WORDS = {
    "zh-CN": {"amount": "金额", "upload": "上传", "member": "成员"},
    "en": {"amount": "Amount", "upload": "Upload", "member": "Member"},
}


def fits(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} is {width[0]} px wide in a {width[1]} px window"


def square(locator, size: int) -> None:
    box = locator.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (size, size), box


def cards(page, table: str, label: str) -> None:
    """The table's rows are cards: no header row, each cell labelled (its data-label)."""
    found = page.locator(table, has=page.locator(f'td[data-label="{label}"]')).first
    assert not found.locator("thead").is_visible()
    row = found.locator("tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"
    assert row.locator(f'td[data-label="{label}"]').is_visible()


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_money_pages_fit_a_phone_and_avatars_stay_round(
    people,
    shot,
    planet_server,
    stripe_ready,  # noqa: F811 - the fixture
    locale,
):
    words = WORDS[locale]
    member = become_paying_member(people, f"窄屏{locale[:2]}", locale, PHONE)

    # A wide picture as the avatar: it shows as a circle, on the settings page and the roster.
    member.goto("/accounts/settings")
    upload = member.locator('form[action$="/accounts/settings/avatar"]')
    upload.locator('input[name="avatar"]').set_input_files(
        {"name": "wide.png", "mimeType": "image/png", "buffer": png_bytes(size=(240, 90))}
    )
    upload.locator('[type="submit"]').click()
    member.wait_for_load_state()
    avatar = member.locator(".avatar-row img.avatar")
    avatar.wait_for()
    square(avatar, 72)
    fits(member)
    shot(member, "settings with a wide avatar")
    name = member.locator("header details.account-menu summary").inner_text().strip()
    member.goto(f"/p/{SLUG}/members")
    square(member.locator(".roster-row", has_text=name).locator("img.avatar"), 40)
    fits(member)
    shot(member, "roster")

    # My memberships: the referral link is a copy field, the payments are cards.
    member.goto("/me/memberships")
    referral = member.locator(f"section#planet-{SLUG} input.copy-field")
    assert "ref=" in referral.input_value()
    box = referral.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    cards(member, ".money-table", words["amount"])
    fits(member)
    shot(member, "my memberships")
    member.goto("/me/earnings")
    fits(member)

    owner = people.as_demo("owner", viewport=PHONE, locale=locale)
    owner.goto(f"/p/{SLUG}/income")
    cards(owner, ".money-table.stack", words["amount"])
    fits(owner)
    shot(owner, "income")
    owner.goto(f"/p/{SLUG}/money")
    fits(owner)
    shot(owner, "prices, coupons and partners")
    for page in ("health", "points/inactive", "points/history", "homework"):
        owner.goto(f"/p/{SLUG}/{page}")  # the community's tables (demo data fills them)
        fits(owner)
        shot(owner, page)
    owner.goto(f"/p/{SLUG}/health")
    cards(owner, ".eng-table.stack", words["member"])

    admin = people.new(viewport=PHONE, locale=locale)
    email = people.sign_up(admin, f"平台管理{locale[:2]}")
    sql(planet_server, "UPDATE users SET is_platform_admin = 1 WHERE email = ?", (email,))
    admin.goto("/admin/payments")
    cards(admin, ".money-table", words["amount"])
    fits(admin)
    shot(admin, "all payments")
