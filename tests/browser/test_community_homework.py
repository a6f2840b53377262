"""Community life 3: homework (作业), in the browser.

A guest posts an assignment (a due date in the past refused); a member hands in on time; after
the due date a newcomer hands in and is marked late; after the close an admin's stale form is
refused (in English) and nothing is written; the guest grades with a score and a comment
(a score over 100 refused) and features the best work; each member sees their grade, the
featured work, and the points the grade earned.
"""

from __future__ import annotations

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
    newcomer,
    open_new_form,
    planet_today,
    post_text,
    refused,
    shift,
    sql,
    submit,
)

pytestmark = pytest.mark.browser


def hand_in(page, text: str) -> None:
    post_text(page, 'form[action$="/submit"]', text)


def grade(page, work: str, score: str, comment: str, featured: bool = False) -> None:
    entry = page.locator(".eng-checkin", has_text=work)
    entry.locator('input[name="score"]').fill(score)
    entry.locator('input[name="comment"]').fill(comment)
    if featured:
        entry.locator('input[name="featured"]').check()
    entry.locator("form.eng-grade [type=submit]").click()
    page.wait_for_load_state()


def test_homework_handed_in_late_closed_graded_and_featured(people, planet_server, shot):
    marker = uuid.uuid4().hex[:4]
    title = f"写一份社群冷启动方案 {marker}"
    today = planet_today()
    guest = people.as_demo("guest", viewport=DESKTOP)
    open_new_form(guest, "homework", "布置作业", "homework/new")
    guest.fill('input[name="title"]', title)
    guest.fill('textarea[name="body"]', "写 **500 字**：目标、种子用户、第一周的活动。")
    guest.fill('input[name="due_date"]', (today - timedelta(days=1)).isoformat())
    guest.fill('input[name="due_time"]', "20:00")
    guest.fill('input[name="late_days"]', "2")
    submit(guest, 'main form[method="post"]')
    assert "截止时间必须在未来" in form_errors(guest)  # the form comes back, filled in
    assert guest.locator('input[name="title"]').input_value() == title
    shot(guest, "due date in the past refused")
    guest.fill('input[name="due_date"]', (today + timedelta(days=1)).isoformat())
    submit(guest, 'main form[method="post"]')
    aid = id_in_url(guest)
    assert guest.locator("main h2").first.inner_text() == title
    header = guest.locator("main section", has=guest.locator("h2", has_text=title)).inner_text()
    assert f"截止于 {(today + timedelta(days=1)).isoformat()} 20:00" in header
    assert f"逾期提交截至 {(today + timedelta(days=3)).isoformat()} 20:00" in header
    shot(guest, "assignment posted")

    # A member hands in on time; members never see the grading form.
    member = people.as_demo("member", viewport=MOBILE)
    member.goto(f"/p/{SLUG}/homework")
    member.locator(".eng-list a", has_text=title).click()
    member.wait_for_url(f"**/p/{SLUG}/homework/{aid}")
    on_time = f"Mia 的方案：先找 20 个种子用户，第一周办一次线上分享。{marker}"
    hand_in(member, on_time)
    assert "作业已提交" in flash(member)
    mine = member.locator("main section", has_text="我的作业")
    assert "尚未批改" in mine.inner_text() and mine.locator(".pill").count() == 0
    assert member.locator("form.eng-grade").count() == 0
    shot(member, "handed in on time")

    # The due date passes (closing is two days later): a newcomer's hand-in is marked late.
    shift(planet_server, "eng_assignments", aid, ("due_at",), -timedelta(days=2))
    late, late_name = newcomer(people, "晚到")
    late.goto(f"/p/{SLUG}/homework/{aid}")
    late_work = f"迟到的方案：从老用户推荐开始。{marker}"
    hand_in(late, late_work)
    assert late.locator("main section", has_text="我的作业").locator(".pill").inner_text() == (
        "迟交"
    )
    shot(late, "late hand-in marked")

    # An admin has the page open; the assignment closes; the stale form is refused.
    admin = people.as_demo("admin", viewport=MOBILE, locale="en-US")
    admin.goto(f"/p/{SLUG}/homework/{aid}")
    shift(planet_server, "eng_assignments", aid, ("closes_at",), -timedelta(days=4))
    assert (
        refused(admin, 400, lambda: hand_in(admin, "Too late?"))
        == "This assignment is closed; hand-ins are no longer accepted."
    )
    shot(admin, "hand-in after the close refused")
    count = "SELECT count(*) FROM eng_submissions WHERE assignment_id = ?"
    assert sql(planet_server, count, (aid,)) == [(2,)]
    admin.goto(f"/p/{SLUG}/homework/{aid}")
    assert "This assignment is closed." in admin.locator("main").inner_text()
    assert admin.locator('form[action$="/submit"]').count() == 0

    # The guest grades: a score over 100 is refused; then 92 with a comment, featured, and 60.
    guest.goto(f"/p/{SLUG}/homework/{aid}")
    assert "全部提交" in guest.locator("main").inner_text()
    score = guest.locator(".eng-checkin", has_text=on_time).locator('input[name="score"]')
    score.evaluate("el => el.removeAttribute('max')")
    assert "分数必须在 0 到 100 之间" in refused(
        guest, 400, lambda: grade(guest, on_time, "101", "满分以上")
    )
    guest.goto(f"/p/{SLUG}/homework/{aid}")
    entry = guest.locator(".eng-checkin", has_text=late_work)
    assert entry.locator(".pill", has_text="迟交").count() == 1
    grade(guest, on_time, "92", "结构清晰，第一周的活动很具体。", featured=True)
    assert "评分已保存" in flash(guest)
    grade(guest, late_work, "60", "再具体一些。")
    assert guest.locator(".eng-checkin", has_text=on_time).locator(".pill.essence").count() == 1
    shot(guest, "graded and featured")

    # The member sees the grade, the comment, the feature and the points it earned.
    member.goto(f"/p/{SLUG}/homework/{aid}")
    mine = member.locator("main section", has_text="我的作业").inner_text()
    assert "分数：92" in mine and "结构清晰，第一周的活动很具体。" in mine
    member.goto(f"/p/{SLUG}/homework")
    row = member.locator(".eng-table tr", has_text=title)
    assert row.locator("td").nth(1).inner_text() == "92"
    assert row.locator(".pill.essence", has_text="优秀").count() == 1
    shot(member, "my grades")
    member.goto(f"/p/{SLUG}/points/history")
    assert (
        member.locator(".eng-table tr", has_text="作业得分").first.locator("td").nth(2).inner_text()
        == "+9"
    )  # noqa: E501 - 92 × 10 / 100

    # The late newcomer sees their own grade and late mark, and the featured work of others.
    late.goto(f"/p/{SLUG}/homework")
    row = late.locator(".eng-table tr", has_text=title)
    assert row.locator("td").nth(1).inner_text() == "60"
    assert row.locator(".pill", has_text="迟交").count() == 1
    late.goto(f"/p/{SLUG}/homework/{aid}")
    featured = late.locator("main section", has_text="优秀作业")
    assert on_time in featured.inner_text() and late_work not in featured.inner_text()
    assert late_name not in featured.inner_text()
    shot(late, "featured work and my late grade")

    # Another planet never shows it: the id under the other planet's address is 404.
    assert member.goto(f"/p/{OTHER}/homework/{aid}").status == 404
