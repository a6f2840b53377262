"""Journeys 2 and 5: an owner creates a planet, sets its switches and posts; an owner hides the
member list and a member is refused it, in the member's language."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser


def submit(page, form: str) -> None:
    page.locator(form).locator('[type="submit"]').first.click()
    page.wait_for_load_state()


def test_create_planet_set_switches_and_post_with_hashtag(people, shot):
    page = people.new(viewport=DESKTOP)
    people.sign_up(page, "星主小周")
    slug = f"orbit-{uuid.uuid4().hex[:6]}"

    page.goto("/planets/new")
    shot(page, "create form")
    page.fill('input[name="name"]', "浏览器测试星球")
    page.fill('input[name="slug"]', slug)
    page.fill('textarea[name="description"]', "用浏览器走一遍 **建星球** 的流程。")
    page.select_option('select[name="category"]', "learning")
    page.fill('input[name="tags"]', "测试, browser")
    page.fill('input[name="price"]', "0")
    submit(page, "main form.planet-form")
    assert page.url.endswith(f"/p/{slug}/about"), page.url
    assert page.locator(".landing h1").inner_text() == "浏览器测试星球"
    assert page.locator("strong", has_text="建星球").count() == 1  # Markdown rendered
    shot(page, "landing after creating")

    # Settings: hide the member list, switch private messages off, keep questions on.
    page.locator(".join-box a.button").first.click()  # into the planet
    page.wait_for_url(f"**/p/{slug}/")
    page.locator(".planet-header .tab-more summary", has_text="管理").click()
    page.locator(".planet-header .tab-more a", has_text="设置").click()
    page.wait_for_url(f"**/p/{slug}/settings")
    assert page.locator('input[name="roster_visible"]').is_checked()  # the defaults
    assert page.locator('input[name="private_messages_enabled"]').is_checked()
    page.uncheck('input[name="roster_visible"]')
    page.uncheck('input[name="private_messages_enabled"]')
    page.check('input[name="questions_enabled"]')
    submit(page, 'main form[action$="/settings"]')
    assert "设置已保存" in page.locator(".flash").first.inner_text()
    page.reload()
    assert not page.locator('input[name="roster_visible"]').is_checked()
    assert not page.locator('input[name="private_messages_enabled"]').is_checked()
    assert page.locator('input[name="questions_enabled"]').is_checked()
    assert page.locator('input[name="name"]').input_value() == "浏览器测试星球"
    shot(page, "settings saved")

    # A topic with a hashtag, from the timeline's composer link.
    page.locator(".planet-header .tabs a", has_text="动态").click()
    page.wait_for_url(f"**/p/{slug}/")
    assert page.locator("p.empty").is_visible()
    shot(page, "empty timeline")
    page.locator(".toolbar a", has_text="发主题").click()
    page.wait_for_url(f"**/p/{slug}/new")
    page.fill('input[name="title"]', "第一次发帖")
    page.fill('textarea[name="body"]', "大家好，这里聊 #浏览器测试 和 **自动化**。")
    shot(page, "new topic form")
    submit(page, 'main form[action$="/new"]')
    assert "/t/" in page.url, page.url
    assert page.locator("h2.topic-title").inner_text() == "第一次发帖"
    shot(page, "topic page")

    page.goto(f"/p/{slug}/")
    card = page.locator("article.topic", has_text="第一次发帖")
    assert card.count() == 1
    assert card.locator(".body strong").inner_text() == "自动化"
    tag = card.locator("a", has_text="浏览器测试")
    assert tag.count() == 1
    assert page.locator(".planet-header .stats").get_by_text("1 个主题").count() == 1
    shot(page, "timeline with the topic")
    tag.first.click()
    page.wait_for_url("**/tags/**")
    assert page.locator("main article.topic", has_text="第一次发帖").count() == 1
    shot(page, "hashtag page")


def _set_roster_visible(page, slug: str, visible: bool) -> None:
    page.goto(f"/p/{slug}/settings")
    box = page.locator('input[name="roster_visible"]')
    box.check() if visible else box.uncheck()
    submit(page, 'main form[action$="/settings"]')
    assert page.locator(".flash").count() >= 1


@pytest.mark.parametrize("member_locale", ["zh-CN", "en-US"])
def test_hidden_roster_refuses_members_in_their_language(people, shot, member_locale):
    slug = "indie-builders"
    owner = people.as_demo("owner", viewport=DESKTOP)
    member = people.as_demo("member", viewport=MOBILE, locale=member_locale)
    # While the list is visible, the member sees it.
    member.goto(f"/p/{slug}/members")
    assert member.locator(".roster-row").count() >= 4
    shot(member, "member sees the roster while visible")

    _set_roster_visible(owner, slug, visible=False)
    shot(owner, "owner hid the roster")
    try:
        member.goto(f"/p/{slug}/")
        assert member.locator(f'.planet-header .tabs a[href="/p/{slug}/members"]').count() == 0
        response = member.goto(f"/p/{slug}/members")
        assert response.status == 403
        reason = member.locator(".error-reason").inner_text()
        title = member.locator(".error-page h1").inner_text()
        if member_locale == "zh-CN":
            assert "成员列表" in reason, reason
            assert member.locator("html").get_attribute("lang") == "zh-CN"
        else:
            assert "member list" in reason.lower(), reason
            assert member.locator("html").get_attribute("lang") == "en"
        assert title
        assert member.locator(".roster-row").count() == 0
        shot(member, "member refused")

        owner.goto(f"/p/{slug}/members")
        assert owner.locator(".roster-row", has_text="Mia Member").count() == 1
        assert owner.locator("p.muted", has_text="成员列表").count() == 1  # "hidden" notice
        shot(owner, "owner still sees the roster")
    finally:
        _set_roster_visible(owner, slug, visible=True)
    member.goto(f"/p/{slug}/members")
    assert member.locator(".roster-row").count() >= 4
