"""Community life 1: self-introductions and the directory, in the browser.

A newcomer joins and is invited (not forced) to introduce themselves from the owner's template;
members search by skill, city and text; the owner sees who has not introduced themselves and
reminds them; contact details follow the roster switch; a visitor (in English) reads the public
directory from the landing page without names or contact details.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.community import (
    DESKTOP,
    MOBILE,
    OTHER,
    SLUG,
    flash,
    newcomer,
    refusal,
    submit,
)

pytestmark = pytest.mark.browser


def write_introduction(page, **fields) -> None:
    page.goto(f"/p/{SLUG}/introduction")
    for name, value in fields.items():
        page.fill(f'main form [name="{name}"]', value)
    submit(page, 'main form[method="post"]:has([name="who"])')
    assert page.url.endswith(f"/p/{SLUG}/directory"), page.url
    assert "你的自我介绍已保存" in flash(page)


def search(page, **fields) -> list[str]:
    """Fill the directory's search form; returns the text of each introduction found."""
    for name in ("q", "tag", "city"):
        page.fill(f'form.eng-search [name="{name}"]', fields.get(name, ""))
    page.locator("form.eng-search button").click()
    page.wait_for_load_state()
    return page.locator("article.eng-intro").all_inner_texts()


def set_switches(owner, slug: str, **switches: bool) -> None:
    owner.goto(f"/p/{slug}/settings")
    for name, on in switches.items():
        box = owner.locator(f'input[name="{name}"]')
        box.check() if on else box.uncheck()
    submit(owner, 'main form[action$="/settings"]')
    assert "设置已保存" in flash(owner)


def test_newcomer_is_invited_introduces_and_members_search_and_owner_reminds(people, shot):
    marker = uuid.uuid4().hex[:6]
    owner = people.as_demo("owner", viewport=DESKTOP)

    # The owner edits the template: the prompts members answer.
    owner.goto(f"/p/{SLUG}/directory")
    owner.locator("main a", has_text="编辑模板").click()
    owner.wait_for_url(f"**/p/{SLUG}/directory/template")
    owner.fill('input[name="who"]', f"一句话介绍你自己 {marker}")
    owner.fill('input[name="seeking"]', "你想在这里找到什么人或机会？")
    shot(owner, "template form")
    submit(owner, 'main form[method="post"]')
    assert "自我介绍模板已保存" in flash(owner)

    # A newcomer joins and lands on the timeline, where the invitation waits (no redirect).
    xiaoyu, _ = newcomer(people, "小雨")
    invite = xiaoyu.locator(".eng-invite")
    assert invite.is_visible()
    assert "向其他成员介绍一下自己吧" in invite.inner_text()
    shot(xiaoyu, "timeline with the invitation")
    invite.locator("a", has_text="写自我介绍").click()
    xiaoyu.wait_for_url(f"**/p/{SLUG}/introduction")
    assert xiaoyu.locator('textarea[name="who"]').get_attribute("placeholder") == (
        f"一句话介绍你自己 {marker}"
    )
    shot(xiaoyu, "introduction form with the owner's prompt")
    write_introduction(
        xiaoyu,
        who="交互设计师，喜欢做社群活动",
        work="在杭州做 B 端产品设计",
        offer=f"作品集点评 {marker}",
        seeking="想认识做增长的朋友",
        city="杭州",
        tags="设计, Figma",
        contact=f"微信 xiaoyu-{marker}",
    )
    mine = xiaoyu.locator("article.eng-intro", has_text=f"作品集点评 {marker}")
    assert mine.locator(".pill", has_text="我").count() == 1
    assert f"一句话介绍你自己 {marker}" in mine.inner_text()  # the owner's prompt labels it
    shot(xiaoyu, "directory with my introduction")

    # A second newcomer says "not now": the invitation goes, the directory button stays.
    ahe, _ = newcomer(people, "阿禾")
    ahe.locator(".eng-invite button", has_text="以后再说").click()
    ahe.wait_for_load_state()
    assert ahe.url.endswith(f"/p/{SLUG}/")
    assert ahe.locator(".eng-invite").count() == 0
    ahe.reload()
    assert ahe.locator(".eng-invite").count() == 0
    shot(ahe, "timeline after not now")
    ahe.goto(f"/p/{SLUG}/directory")
    assert ahe.locator("main a.button", has_text="写自我介绍").is_visible()
    write_introduction(
        ahe,
        who=f"后端工程师 {marker}",
        offer="Python 和数据分析",
        city="上海",
        tags="Python, 数据",
        contact=f"ahe-{marker}@example.com",
    )

    # Search by skill (the tag link), by city, by text and by name; contacts are shown.
    ahe.locator("article.eng-intro", has_text=f"作品集点评 {marker}").locator(
        "a.tag", has_text="Figma"
    ).click()
    ahe.wait_for_load_state()
    found = ahe.locator("article.eng-intro").all_inner_texts()
    assert any(f"作品集点评 {marker}" in text for text in found)
    assert not any(f"后端工程师 {marker}" in text for text in found)
    shot(ahe, "search by the Figma tag")
    found = search(ahe, city="上海", q=marker)
    assert len(found) == 1 and f"后端工程师 {marker}" in found[0]
    found = search(ahe, tag="python", q=marker)  # tags match whatever the case
    assert len(found) == 1 and f"后端工程师 {marker}" in found[0]
    found = search(ahe, q=f"作品集点评 {marker}")
    assert len(found) == 1 and "小雨" in found[0]
    assert f"微信 xiaoyu-{marker}" in found[0]  # members see contacts while the roster is visible
    found = search(ahe, q="小雨", city="杭州")
    assert any(f"作品集点评 {marker}" in text for text in found)
    assert search(ahe, q=f"nobody-{marker}") == []
    assert "还没有自我介绍" in ahe.locator("main").inner_text()
    shot(ahe, "text search")

    # A third newcomer stays silent; the owner reminds that one only.
    quiet, quiet_name = newcomer(people, "小静")
    owner.goto(f"/p/{SLUG}/directory")
    owner.locator("main a", has_text="还没有自我介绍的成员").click()
    owner.wait_for_url(f"**/p/{SLUG}/directory/missing")
    rows = owner.locator("main .eng-list li")
    names = rows.all_inner_texts()
    assert not any("小雨" in n or "阿禾" in n for n in names)  # they introduced themselves
    assert any(quiet_name in n for n in names), (names, quiet_name)
    for box in owner.locator('main input[name="user_id"]').all():
        box.uncheck()
    rows.filter(has_text=quiet_name).locator("input").check()
    shot(owner, "who has not introduced themselves")
    submit(owner, 'main form[action$="/directory/remind"]')
    assert "已发送 1 条提醒" in flash(owner)
    quiet.goto("/me/notifications")
    reminder = quiet.locator(f'main a[href$="/p/{SLUG}/introduction"]')
    assert reminder.count() >= 1
    shot(quiet, "the reminder notification")
    reminder.first.click()
    quiet.wait_for_url(f"**/p/{SLUG}/introduction")


def test_roster_switch_hides_contacts_and_visitors_read_public_directory(people, shot):
    marker = uuid.uuid4().hex[:6]
    owner = people.as_demo("owner", viewport=DESKTOP)
    member = people.as_demo("member", viewport=MOBILE)
    write_introduction(
        member,
        who=f"Indie hacker {marker}",
        offer="Landing page reviews",
        city="Shenzhen",
        tags="marketing",
        contact=f"mia-wechat-{marker}",
    )
    guest = people.as_demo("guest", viewport=MOBILE)
    guest.goto(f"/p/{SLUG}/directory?q={marker}")
    card = guest.locator("article.eng-intro", has_text=f"Indie hacker {marker}")
    assert "Mia Member" in card.inner_text() and f"mia-wechat-{marker}" in card.inner_text()

    visitor = people.new(viewport=MOBILE)  # not logged in
    assert visitor.goto(f"/p/{SLUG}/directory").status == 401
    try:
        # Published: a visitor finds it on the landing page and reads it in English.
        set_switches(owner, SLUG, public_directory=True, roster_visible=True)
        visitor.goto(f"/p/{SLUG}/about")
        visitor.locator(".lang-switch button", has_text="English").click()
        # A kept landing (planet/web/anoncache.py): the form fetches its token first.
        expect(visitor.locator("html")).to_have_attribute("lang", "en")
        box = visitor.locator(".eng-landing-directory")
        assert "Member directory" in box.inner_text()
        shot(visitor, "landing page with the public directory")
        box.locator("a", has_text="Open the directory").click()
        visitor.wait_for_url(f"**/p/{SLUG}/directory")
        visitor.fill('form.eng-search [name="q"]', marker)
        visitor.locator("form.eng-search button").click()
        visitor.wait_for_load_state()
        card = visitor.locator("article.eng-intro", has_text=f"Indie hacker {marker}")
        assert card.count() == 1
        text = card.inner_text()
        assert "A member" in text and "Mia Member" not in text
        assert f"mia-wechat-{marker}" not in visitor.content()
        assert "Landing page reviews" in text and "Shenzhen" in text
        shot(visitor, "public directory for a visitor")
        # A name typed into the search does not unmask anyone.
        visitor.goto(f"/p/{SLUG}/directory?q=Mia+Member")
        assert visitor.locator("article.eng-intro").count() == 0
        assert "No introductions yet." in visitor.locator("main").inner_text()

        # The roster hidden: members still read introductions, without names or contacts.
        set_switches(owner, SLUG, roster_visible=False)
        guest.goto(f"/p/{SLUG}/directory?q={marker}")
        card = guest.locator("article.eng-intro", has_text=f"Indie hacker {marker}")
        assert card.count() == 1
        assert "一位成员" in card.inner_text() and "Mia Member" not in card.inner_text()
        assert f"mia-wechat-{marker}" not in guest.content()
        shot(guest, "roster hidden: no names, no contacts")

        # Hidden and not published: members are refused, with the reason in their language.
        set_switches(owner, SLUG, public_directory=False)
        response = guest.goto(f"/p/{SLUG}/directory")
        assert response.status == 403
        assert "星主已隐藏成员列表" in refusal(guest)
        shot(guest, "roster hidden, directory refused")
        response = visitor.goto(f"/p/{SLUG}/directory")
        assert response.status == 401
        assert visitor.locator(".error-page h1").inner_text()
        assert f"mia-wechat-{marker}" not in visitor.content()
    finally:
        set_switches(owner, SLUG, public_directory=False, roster_visible=True)

    # A member of this planet only never sees another planet's directory.
    outsider, _ = newcomer(people, "Otto", locale="en-US")
    response = outsider.goto(f"/p/{OTHER}/directory")
    assert response.status == 403
    assert refusal(outsider)
    assert outsider.locator("article.eng-intro").count() == 0
    shot(outsider, "another planet's directory refused")
