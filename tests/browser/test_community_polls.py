"""Community life 6: polls and lotteries, in the browser (the poll basics are in
test_engagement.py).

A guest's poll with one option is refused; a multiple-choice poll shows results only after it
closes; a second vote from a stale tab and a vote after the deadline (in English) are refused
with nothing written. A lottery publishes the SHA-256 of its seed before the draw and the seed
after it, and anyone can recompute the winners from the page.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest

from tests.browser.community import (
    DESKTOP,
    MOBILE,
    OTHER,
    SLUG,
    flash,
    form_errors,
    id_in_url,
    open_new_form,
    planet_today,
    refused,
    shift,
    sql,
    submit,
)

pytestmark = pytest.mark.browser


def fill_poll(page, question: str, options: str, *, multiple: bool, results: str) -> None:
    page.goto(f"/p/{SLUG}/polls/new")
    page.fill('input[name="question"]', question)
    page.fill('textarea[name="options"]', options)
    box = page.locator('input[name="multiple"]')
    box.check() if multiple else box.uncheck()
    page.fill('input[name="closes_date"]', (planet_today() + timedelta(days=1)).isoformat())
    page.fill('input[name="closes_time"]', "20:00")
    page.select_option('select[name="results"]', results)
    submit(page, 'main form[method="post"]')


def vote(page, *labels: str) -> None:
    form = page.locator('form[action$="/vote"]')
    for label in labels:
        form.locator("label.check", has_text=label).locator("input").check()
    form.locator("[type=submit]").click()
    page.wait_for_load_state()


def test_poll_refusals_and_results_after_close(people, planet_server, shot):
    question = f"读书会定在哪几天？{uuid.uuid4().hex[:4]}"
    guest = people.as_demo("guest", viewport=DESKTOP)
    for options in ("", "只有一个选项\n只有一个选项\n"):  # no options; one option twice
        fill_poll(guest, question, options, multiple=True, results="after_close")
        assert "投票至少需要两个不同的选项" in form_errors(guest)
    shot(guest, "a poll with one option refused")
    polls = "SELECT count(*) FROM eng_polls WHERE question = ?"
    assert sql(planet_server, polls, (question,)) == [(0,)]
    fill_poll(guest, question, "周一\n周三\n周五", multiple=True, results="after_close")
    pid = id_in_url(guest)
    assert guest.locator("main h2").first.inner_text() == question

    member = people.as_demo("member", viewport=MOBILE)
    assert member.goto(f"/p/{SLUG}/polls/new").status == 403  # members do not create polls
    member.goto(f"/p/{SLUG}/polls/{pid}")
    stale = member.context.new_page()
    stale.goto(f"/p/{SLUG}/polls/{pid}")
    assert member.locator('form[action$="/vote"] input[type="checkbox"]').count() == 3
    assert "结果将在投票结束后公布" in member.locator("main").inner_text()
    vote(member, "周一", "周五")
    assert "感谢投票" in flash(member)
    assert "感谢投票。结果将在投票结束后公布。" in member.locator("main").inner_text()
    assert member.locator(".eng-results").count() == 0  # not before the close
    shot(member, "voted, results after the close")

    assert "你已经投过票了" in refused(stale, 409, lambda: vote(stale, "周三"))
    shot(stale, "second vote refused")
    stale.close()
    ballots = "SELECT count(*) FROM eng_poll_ballots WHERE poll_id = ?"
    assert sql(planet_server, ballots, (pid,)) == [(1,)]

    # An admin has the poll open when the deadline passes.
    admin = people.as_demo("admin", viewport=MOBILE, locale="en-US")
    admin.goto(f"/p/{SLUG}/polls/{pid}")
    shift(planet_server, "eng_polls", pid, ("closes_at",), -timedelta(days=2))
    assert refused(admin, 400, lambda: vote(admin, "周三")) == "This poll is closed."
    shot(admin, "vote after the deadline refused")
    assert sql(planet_server, ballots, (pid,)) == [(1,)]

    # Closed: everyone sees the results; the member's choices are ticked.
    member.goto(f"/p/{SLUG}/polls/{pid}")
    assert "这个投票已经结束" in member.locator("main").inner_text()
    results = member.locator(".eng-results li")
    assert results.count() == 3
    assert results.filter(has_text="周一").locator("svg.icon-check").count() == 1
    assert "1（100%）" in results.filter(has_text="周五").inner_text()
    assert "0（0%）" in results.filter(has_text="周三").inner_text()
    assert member.locator('form[action$="/vote"]').count() == 0
    shot(member, "results after the close")
    assert member.goto(f"/p/{OTHER}/polls/{pid}").status == 404


def test_lottery_commits_to_its_seed_and_the_draw_can_be_checked(people, planet_server, shot):
    title = f"本周读书会抽奖 {uuid.uuid4().hex[:4]}"
    owner = people.as_demo("owner", viewport=DESKTOP)
    open_new_form(owner, "polls", "新建抽奖", "lotteries/new")
    owner.fill('input[name="title"]', title)
    owner.fill('input[name="prize"]', "签名书两本")
    owner.select_option('select[name="eligibility"]', "all_members")
    owner.fill('input[name="winner_count"]', "2")
    submit(owner, 'main form[method="post"]')
    lid = id_in_url(owner)
    shot(owner, "lottery before the draw")

    # Before the draw: the commitment is public, the seed is not.
    member = people.as_demo("member", viewport=MOBILE)
    member.goto(f"/p/{SLUG}/lotteries/{lid}")
    commitment = member.locator("code.eng-hash").first.inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)
    assert "尚未开奖" in member.locator("main").inner_text()
    assert member.locator("main button", has_text="立即开奖").count() == 0
    before = member.content()
    shot(member, "commitment published")

    stale = owner.context.new_page()
    stale.goto(f"/p/{SLUG}/lotteries/{lid}")
    owner.once("dialog", lambda dialog: dialog.accept())  # drawing asks first (data-confirm)
    owner.locator("main button", has_text="立即开奖").click()
    owner.wait_for_load_state()
    assert owner.locator("main h3", has_text="中奖者").count() == 1
    shot(owner, "drawn")
    stale.once("dialog", lambda dialog: dialog.accept())
    assert "这个抽奖已经开奖了" in refused(
        stale, 409, lambda: stale.locator("main button", has_text="立即开奖").click()
    )
    stale.close()

    # After the draw anyone can check it from the page alone.
    member.reload()
    hashes = member.locator("code.eng-hash").all_inner_texts()
    assert hashes[0] == commitment
    seed = hashes[1]
    assert seed not in before  # never shown before the draw
    assert hashlib.sha256(seed.encode()).hexdigest() == commitment
    entrants_text = member.locator("main p", has_text="参与者（用户 ID）").locator("code")
    entrants = [int(v) for v in entrants_text.inner_text().split(",")]
    active = sql(
        planet_server,
        "SELECT count(*) FROM memberships m JOIN planets p ON p.id = m.planet_id"
        " WHERE p.slug = ? AND lower(m.status) = 'active'",
        (SLUG,),
    )[0][0]
    assert len(entrants) == active >= 4  # all active members took part
    # The published rule: rank each entrant by SHA-256("<seed>:<user id>"); the lowest win.
    ranked = sorted(
        entrants, key=lambda uid: (hashlib.sha256(f"{seed}:{uid}".encode()).hexdigest(), uid)
    )
    expected = [
        sql(planet_server, "SELECT display_name FROM users WHERE id = ?", (uid,))[0][0]
        for uid in ranked[:2]
    ]
    shown = member.locator("main section ol li").all_inner_texts()
    assert shown == expected
    assert "你可以自行验证" in member.locator("main").inner_text()
    shot(member, "seed revealed, winners checked")
    assert member.goto(f"/p/{OTHER}/lotteries/{lid}").status == 404
