"""Community life 4: points, levels, leaderboards and the least-active report, in the browser.

On a planet of its own (its settings change): the creator values comments at 4 points and names
three levels (thresholds that do not increase are refused); a member comments twice, climbs a
level and reads the week, month and all-time boards and their own history; the creator reviews
the least-active members, opens a message to one and removes another (a person decides).
"""

from __future__ import annotations

import uuid

import pytest

from tests.browser.community import DESKTOP, OTHER, flash, newcomer, refusal, submit

pytestmark = pytest.mark.browser


def create_planet(page, slug: str) -> None:
    page.goto("/planets/new")
    page.fill('input[name="name"]', "积分实验星球")
    page.fill('input[name="slug"]', slug)
    page.fill('textarea[name="description"]', "看看积分和等级怎么运转。")
    page.select_option('select[name="category"]', "learning")
    page.fill('input[name="price"]', "0")
    submit(page, "main form.planet-form")
    assert page.url.endswith(f"/p/{slug}/about"), page.url


def set_levels(page, rows: list[tuple[str, str]]) -> None:
    thresholds = page.locator('input[name="level_threshold"]')
    names = page.locator('input[name="level_name"]')
    for index in range(thresholds.count()):
        threshold, name = rows[index] if index < len(rows) else ("", "")
        thresholds.nth(index).fill(threshold)
        names.nth(index).fill(name)


def board(page, period_label: str) -> str:
    page.locator("main nav.tabs a", has_text=period_label).click()
    page.wait_for_load_state()
    return page.locator("ol.eng-board").inner_text()


def test_points_levels_boards_history_and_least_active(people, shot):
    slug = f"points-{uuid.uuid4().hex[:6]}"
    creator = people.new(viewport=DESKTOP)
    creator_name = f"星主阿光{uuid.uuid4().hex[:4]}"
    people.sign_up(creator, creator_name)
    create_planet(creator, slug)
    creator.goto(f"/p/{slug}/new")
    creator.fill('input[name="title"]', "第一期：自我介绍接龙")
    creator.fill('textarea[name="body"]', "在评论区说说你最近在做什么。")
    submit(creator, 'main form[action$="/new"]')
    topic_url = creator.url
    assert "/t/" in topic_url

    # The creator's values and levels; thresholds that do not increase are refused.
    creator.goto(f"/p/{slug}/points")
    creator.locator('main a[href$="/points/settings"]').click()
    creator.wait_for_url(f"**/p/{slug}/points/settings")
    creator.fill('input[name="comment"]', "4")
    set_levels(creator, [("0", "新人"), ("0", "活跃"), ("50", "骨干")])
    with creator.expect_response(lambda r: r.request.method == "POST") as info:
        submit(creator, 'main form[method="post"]')
    assert info.value.status == 400
    assert "等级门槛必须逐级递增" in creator.locator('main .flash-error[role="alert"]').inner_text()
    shot(creator, "levels that do not increase refused")
    creator.fill('input[name="comment"]', "4")
    set_levels(creator, [("0", "新人"), ("5", "活跃"), ("50", "骨干")])
    submit(creator, 'main form[method="post"]')
    assert "积分设置已保存" in flash(creator)
    assert creator.locator('input[name="comment"]').input_value() == "4"
    shot(creator, "points settings saved")

    # A member comments twice: 8 points, level 2.
    member, member_name = newcomer(people, "小林", slug=slug)
    for text in ("我在做一个读书会。", "也在学写作，欢迎交流。"):
        member.goto(topic_url)
        member.fill(".comment-form textarea", text)
        submit(member, ".comment-form")
    member.locator(".planet-header .tabs a", has_text="积分").click()
    member.wait_for_url(f"**/p/{slug}/points")
    main = member.locator("main").inner_text()
    assert "我的积分：8 · 等级 2 “活跃”" in main
    assert "发表评论：4" in main and "活跃（5 分起）" in main
    for period in ("本周", "本月", "总榜"):
        assert f"{member_name} · 8" in board(member, period), period
    assert f"{member_name} · 8 · 活跃" in board(member, "总榜")
    assert f"{creator_name} · 2 · 新人" in board(member, "总榜")  # the topic: 2 points
    shot(member, "all-time board with levels")
    member.locator("main a", has_text="我的积分记录").click()
    member.wait_for_url(f"**/p/{slug}/points/history")
    rows = member.locator(".eng-table tr").all_inner_texts()[1:]
    assert len(rows) == 2 and all("发表评论" in row and "+4" in row for row in rows)
    shot(member, "my points history")

    # A member who never does anything shows up in the least-active report.
    quiet, quiet_name = newcomer(people, "潜水", slug=slug)
    creator.goto(f"/p/{slug}/points")
    creator.locator("main a", has_text="最不活跃的成员").click()
    creator.wait_for_url(f"**/p/{slug}/points/inactive")
    report = creator.locator(".eng-table tr")
    assert "由你来决定" in creator.locator("main").inner_text()
    quiet_row = report.filter(has_text=quiet_name)
    assert quiet_row.locator("td").nth(1).inner_text() == "0"
    assert creator.locator("main").inner_text().index(quiet_name) < creator.locator(
        "main"
    ).inner_text().index(member_name)  # the quietest first
    shot(creator, "least active report")
    quiet_row.locator("a", has_text="私信").click()
    creator.wait_for_url("**/messages/**")
    assert quiet_name in creator.locator("main").inner_text()
    creator.go_back()
    creator.wait_for_load_state()
    creator.locator(".eng-table tr", has_text=member_name).locator("a", has_text="积分记录").click()
    creator.wait_for_url(f"**/p/{slug}/points/history?user=*")
    assert member_name in creator.locator("main h2").inner_text()
    assert len(creator.locator(".eng-table tr").all_inner_texts()) == 3
    creator.go_back()
    creator.wait_for_load_state()
    quiet_line = creator.locator(".eng-table tr", has_text=quiet_name)
    remove = quiet_line.locator("button", has_text="移出")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    creator.once("dialog", lambda dialog: answer(dialog, accept=False))
    remove.click()  # asked first; "cancel" keeps the member
    creator.wait_for_timeout(300)
    assert questions == [f"确定将 {quiet_name} 移出星球？对方将立即失去访问权限。"]
    assert creator.locator(".eng-table tr", has_text=quiet_name).count() == 1
    creator.once("dialog", lambda dialog: answer(dialog, accept=True))
    remove.click()
    creator.wait_for_load_state()
    assert "该成员已被移出星球" in flash(creator)
    assert creator.locator(".eng-table tr", has_text=quiet_name).count() == 0
    shot(creator, "after removing the quiet member")
    assert quiet.goto(f"/p/{slug}/points").status == 403
    assert refusal(quiet)

    # Members cannot read the report, nor another planet's points.
    assert member.goto(f"/p/{slug}/points/inactive").status == 403
    assert member.goto(f"/p/{OTHER}/points").status == 403
