"""A member pays with 4242…, then asks for a refund from My memberships: the refund asks first
(cancelling keeps the membership), then revokes access. The coupon field on checkout is a real,
full-width text field."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import MOBILE
from tests.browser.test_payments import SLUG, _checkout, _fill_card, stripe_ready  # noqa: F401

pytestmark = pytest.mark.browser


def test_refund_asks_first_then_revokes_access(people, shot, stripe_ready):  # noqa: F811
    member = people.new(viewport=MOBILE)
    people.sign_up(member, "退款的人")
    member.goto(f"/p/{SLUG}/checkout")
    coupon = member.locator(".coupon-form input[name=coupon]")
    assert coupon.bounding_box()["width"] > 200  # was an unstyled 170px box
    _checkout(member, shot, "refund")
    _fill_card(member, "4242424242424242")
    member.locator("#pay-button").click()
    member.wait_for_url(re.compile(r".*/payments/\d+$"), timeout=20_000)
    member.locator('#payment-status[data-status="succeeded"]').wait_for(timeout=30_000)

    member.goto("/me/memberships")
    shot(member, "memberships")
    questions = []
    member.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    member.locator('form[action$="/refund"] button').click()
    member.wait_for_timeout(300)
    assert questions and "立即失去访问权限" in questions[0]
    assert member.url.endswith("/me/memberships")
    assert member.locator('form[action$="/refund"]').count() == 1  # nothing was refunded

    member.once("dialog", lambda dialog: dialog.accept())
    member.locator('form[action$="/refund"] button').click()
    member.wait_for_load_state()
    assert member.locator(".flash").count() >= 1
    assert member.locator('form[action$="/refund"]').count() == 0
    shot(member, "refunded")
    member.locator("section.membership h2 a").first.click()
    member.wait_for_url(f"**/p/{SLUG}/about")
