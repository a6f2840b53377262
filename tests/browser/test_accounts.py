"""Journeys 1 and 6: sign up, log out, log in; switch the interface between 中文 and English."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, MOBILE, NEW_PASSWORD

pytestmark = pytest.mark.browser

PASSWORD = NEW_PASSWORD


def submit(page, form: str) -> None:
    """Click the submit button of `form` (a CSS selector) and wait for the next page."""
    page.locator(form).locator('[type="submit"]').first.click()
    page.wait_for_load_state()


def test_sign_up_log_out_and_log_in(people, shot, planet_server):
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page = people.new(viewport=MOBILE)
    page.goto("/")
    shot(page, "home as a visitor")
    page.locator("header a.button", has_text="注册").click()
    page.wait_for_url("**/accounts/signup")
    shot(page, "sign-up form")

    # A too-short password is refused on the page, in Chinese, and nothing is created.
    page.fill('input[name="email"]', email)
    page.fill('input[name="display_name"]', "新朋友")
    page.fill('input[name="password"]', "short")
    submit(page, 'main form[action$="/accounts/signup"]')
    assert page.locator(".field.has-error").count() >= 1
    shot(page, "sign-up refused - short password")

    page.fill('input[name="password"]', PASSWORD)
    submit(page, 'main form[action$="/accounts/signup"]')
    assert "/accounts/signup" not in page.url
    assert "新朋友" in page.locator(".flash").first.inner_text()
    assert page.locator("header .topnav").get_by_text("新朋友").is_visible()
    shot(page, "signed up")
    # The confirmation link went out by SMTP to the catcher.
    assert planet_server.mails_to(email), "no confirmation mail was caught"

    page.locator("header details.account-menu summary").click()  # the account menu
    page.locator("header form[action$='/accounts/logout'] button").click()
    page.wait_for_load_state()
    assert page.locator("header").get_by_text("登录").is_visible()
    assert not page.locator("header .topnav").get_by_text("新朋友").count()
    shot(page, "logged out")
    # After logging out, a page that needs an account sends us to log in.
    page.goto("/me/planets")
    assert "/accounts/login" in page.url

    # A wrong password is refused with a reason.
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "not-the-password-at-all")
    submit(page, 'main form[action$="/accounts/login"]')
    assert "邮箱或密码不正确" in page.locator("main").inner_text()
    shot(page, "log-in refused - wrong password")

    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    submit(page, 'main form[action$="/accounts/login"]')
    assert page.url.endswith("/me/planets"), page.url  # back where we wanted to go
    assert page.locator("header .topnav").get_by_text("新朋友").is_visible()
    shot(page, "logged in again")


@pytest.mark.parametrize(
    "viewport", [MOBILE, DESKTOP], ids=lambda v: f"{v['width']}px" if isinstance(v, dict) else v
)
def test_language_switch_between_chinese_and_english(people, shot, viewport):
    # A visitor whose browser prefers Chinese.
    page = people.new(viewport=viewport, locale="zh-CN")
    page.goto("/discover")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("header").get_by_text("发现").is_visible()
    shot(page, "discover in Chinese")

    # Discover is kept for visitors without a session (planet/web/anoncache.py): the form
    # fetches its CSRF token first, so the page changes a moment after the click.
    page.locator("header .lang-switch button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.locator("header").get_by_text("Discover").is_visible()
    assert page.locator("header .lang-switch button").inner_text() == "中文"
    shot(page, "after switching to English")
    # The choice sticks on the next pages.
    page.goto("/accounts/login")
    assert page.locator("main h1").inner_text() == "Log in"
    shot(page, "login page in English")

    page.locator("header .lang-switch button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("main h1").inner_text() == "登录"
    shot(page, "back to Chinese")


def test_account_language_choice_is_saved(people, shot):
    # Someone whose browser prefers English signs up: the account starts in English.
    page = people.new(viewport=DESKTOP, locale="en-US")
    email = people.sign_up(page, "Lin Reader")
    page.goto("/p/community-lab/about")
    assert page.locator("header").get_by_text("My planets", exact=True).is_visible()
    shot(page, "landing in English")
    page.locator("header .lang-switch button").click()
    page.wait_for_load_state()
    assert page.url.endswith("/p/community-lab/about")  # stays on the same page
    assert page.locator("header").get_by_text("我的星球", exact=True).is_visible()
    assert page.locator(".join-box button[type=submit]").inner_text() == "免费加入"
    shot(page, "landing in Chinese")

    # The choice belongs to the account: on another device (an English browser), after
    # logging in, the pages are in Chinese.
    other = people.new(viewport=MOBILE, locale="en-US")
    other.goto("/accounts/login")
    assert other.locator("main h1").inner_text() == "Log in"
    people.log_in(other, email, PASSWORD)
    other.goto("/p/community-lab/about")
    assert other.locator("header").get_by_text("我的星球", exact=True).is_visible()
    shot(other, "another device after logging in")
