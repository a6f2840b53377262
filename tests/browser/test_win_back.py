"""The owner wins a member back: the Manage menu counts who ends within 30 days (the demo's
admin, whose paid year is nearly over), the win-back page shows them, and one click sends a
coupon by private message, which the member finds in their messages with a working checkout
link. In Chinese on a phone."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import MOBILE

pytestmark = pytest.mark.browser
SLUG = "growth-club"


def test_the_owner_sends_a_coupon_to_a_member_about_to_lapse(people, shot):
    owner = people.as_demo("owner", viewport=MOBILE)
    owner.goto(f"/p/{SLUG}/")
    manage = owner.locator(".planet-tabs details.tab-more")
    manage.locator("summary").click()
    link = manage.get_by_role("link", name=re.compile("挽回成员"))
    assert link.locator(".badge").inner_text() == "1"
    link.click()
    owner.wait_for_url(f"**/p/{SLUG}/win-back")
    row = owner.locator("table.win-back tbody tr")
    assert row.count() == 1 and "Ada Admin" in row.inner_text()
    shot(owner, "win-back page")
    row.locator("select[name=percent]").select_option("30")
    row.get_by_role("button", name="送优惠码").click()
    owner.wait_for_url(f"**/p/{SLUG}/win-back")
    flash = owner.locator(".flash").first.inner_text()
    code = re.search(r"优惠码 (\S+) 已通过私信发送", flash).group(1)
    shot(owner, "coupon sent")

    admin = people.as_demo("admin", viewport=MOBILE)
    admin.goto("/messages")
    admin.locator("main a", has_text="林星主").first.click()
    admin.locator("main", has_text=code).wait_for()
    shot(admin, "the coupon in the messages")
    admin.goto(f"/p/{SLUG}/checkout?renew=1&coupon={code}")
    assert "30" in admin.locator("main").inner_text()
    shot(admin, "checkout with the coupon")
