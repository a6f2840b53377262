"""Journey 8: the owner opens a poll (the demo has none), a member votes and sees the results."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from tests.browser.conftest import DESKTOP, MOBILE

pytestmark = pytest.mark.browser
SLUG = "community-lab"


def test_owner_creates_poll_and_member_votes(people, shot):
    question = f"下次线下活动选哪个城市？{uuid.uuid4().hex[:4]}"
    owner = people.as_demo("owner", viewport=DESKTOP)
    owner.goto(f"/p/{SLUG}/")
    owner.locator(".planet-header .tabs a", has_text="投票").click()
    owner.wait_for_url(f"**/p/{SLUG}/polls")
    owner.locator("main a.button", has_text="发起投票").click()
    owner.wait_for_url(f"**/p/{SLUG}/polls/new")
    owner.fill('input[name="question"]', question)
    owner.fill('textarea[name="options"]', "北京\n上海\n深圳")
    owner.fill('input[name="closes_date"]', (date.today() + timedelta(days=7)).isoformat())
    owner.fill('input[name="closes_time"]', "20:00")
    owner.select_option('select[name="results"]', "after_vote")
    shot(owner, "new poll form")
    owner.locator("main form[method=post] [type=submit]").click()
    owner.wait_for_url(f"**/p/{SLUG}/polls/*")
    assert owner.locator("main h2").first.inner_text() == question
    shot(owner, "poll created")

    member = people.as_demo("member", viewport=MOBILE)
    member.goto(f"/p/{SLUG}/polls")
    member.locator(".eng-list a", has_text=question).click()
    member.wait_for_url(f"**/p/{SLUG}/polls/*")
    assert "投票后即可查看结果" in member.locator("main").inner_text()
    shot(member, "poll before voting")
    member.locator("label.check", has_text="上海").locator("input").check()
    member.locator(f'form[action*="/p/{SLUG}/polls/"] [type=submit]').click()
    member.wait_for_load_state()
    assert "感谢投票" in member.locator(".flash").first.inner_text()
    results = member.locator(".eng-results li")
    assert results.count() == 3
    chosen = results.filter(has_text="上海")
    assert chosen.locator("svg.icon-check").count() == 1 and "1（100%）" in chosen.inner_text()
    assert member.locator('input[name="option"]').count() == 0  # one ballot per member
    shot(member, "results after voting")

    owner.goto(f"/p/{SLUG}/polls")
    assert "1 人投票" in owner.locator(".eng-list li", has_text=question).inner_text()
    shot(owner, "poll list with one voter")
