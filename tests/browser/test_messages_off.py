"""Messages when the owner switched private messages off (issue 11 point 13), on a phone in
Chinese: the owner writes to a member from the member list; the member sees it in 私信 and
answers in that conversation; the owner sees the answer. The member still cannot start a
conversation (no 私信 link in the member list)."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.community import newcomer, submit

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 780}


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_owner_writes_with_messages_off_and_the_member_answers(people, shot):
    owner = people.new(viewport=PHONE)
    people.sign_up(owner, "星主小林")
    slug = f"quiet-{uuid.uuid4().hex[:6]}"
    owner.goto("/planets/new")
    owner.fill('input[name="name"]', "私信关闭的星球")
    owner.fill('input[name="slug"]', slug)
    owner.fill('textarea[name="description"]', "成员之间不能私信。")
    owner.fill('input[name="price"]', "0")
    owner.uncheck('input[name="private_messages_enabled"]')
    submit(owner, "main form.planet-form")
    assert owner.url.endswith(f"/p/{slug}/about"), owner.url

    member, member_name = newcomer(people, "新成员", slug=slug, viewport=PHONE)

    # The owner writes to the member from the member list.
    owner.goto(f"/p/{slug}/members")
    row = owner.locator(".roster-row", has_text=member_name)
    row.locator("a", has_text="私信").click()
    owner.wait_for_url("**/messages/**")
    owner.fill('form.send-form textarea[name="body"]', "欢迎加入！有问题可以直接回复我。")
    submit(owner, "form.send-form")
    assert "欢迎加入" in owner.locator("ol.messages").inner_text()
    shot(owner, "owner wrote to the member")

    # The member finds it under 私信 and answers in that conversation.
    member.goto(f"/p/{slug}/")
    member.locator("header a", has_text="私信").first.click()
    member.wait_for_url("**/messages")
    member.locator(".conversation", has_text="星主小林").locator("a").first.click()
    member.wait_for_url("**/messages/**")
    assert "欢迎加入" in member.locator("ol.messages").inner_text()
    member.fill('form.send-form textarea[name="body"]', "谢谢星主！请问从哪里开始看？")
    _no_sideways_scroll(member)
    shot(member, "member answers")
    submit(member, "form.send-form")
    assert "谢谢星主" in member.locator("ol.messages").inner_text()
    shot(member, "member answered")

    # Starting a conversation stays closed: no 私信 link in the member list for the member.
    member.goto(f"/p/{slug}/members")
    assert member.locator(".roster-row").count() == 2
    assert member.locator(".roster-row a", has_text="私信").count() == 0
    _no_sideways_scroll(member)
    shot(member, "member list without message links")

    # The owner sees the answer.
    owner.reload()
    assert "谢谢星主！请问从哪里开始看？" in owner.locator("ol.messages").inner_text()
    _no_sideways_scroll(owner)
    shot(owner, "owner sees the answer")
