"""Community life, access: a member of one planet never sees another planet's directory,
challenges, grades or polls, neither at the other planet's address (403) nor by putting its
ids under their own planet's address (404); a visitor is asked to log in."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from tests.browser.community import DESKTOP, MOBILE, SLUG, id_in_url, planet_today, submit

pytestmark = pytest.mark.browser


def test_member_of_another_planet_sees_nothing_of_this_ones_community(people, shot):
    marker = f"canary-{uuid.uuid4().hex[:6]}"
    tomorrow = (planet_today() + timedelta(days=1)).isoformat()

    # In planet A (the demo's), the owner opens a challenge, an assignment and a poll; the
    # member introduces themselves and is graded.
    owner = people.as_demo("owner", viewport=DESKTOP)
    owner.goto(f"/p/{SLUG}/challenges/new")
    owner.fill('input[name="title"]', f"挑战 {marker}")
    owner.fill('input[name="start_date"]', planet_today().isoformat())
    owner.fill('input[name="length_days"]', "7")
    submit(owner, 'main form[method="post"]')
    cid = id_in_url(owner)
    owner.goto(f"/p/{SLUG}/homework/new")
    owner.fill('input[name="title"]', f"作业 {marker}")
    owner.fill('input[name="due_date"]', tomorrow)
    owner.fill('input[name="due_time"]', "20:00")
    submit(owner, 'main form[method="post"]')
    aid = id_in_url(owner)
    owner.goto(f"/p/{SLUG}/polls/new")
    owner.fill('input[name="question"]', f"投票 {marker}")
    owner.fill('textarea[name="options"]', "是\n否")
    owner.fill('input[name="closes_date"]', tomorrow)
    owner.fill('input[name="closes_time"]', "20:00")
    submit(owner, 'main form[method="post"]')
    pid = id_in_url(owner)

    member = people.as_demo("member", viewport=MOBILE)
    member.goto(f"/p/{SLUG}/introduction")
    member.fill('textarea[name="who"]', f"自我介绍 {marker}")
    member.fill('input[name="contact"]', f"联系方式 {marker}")
    submit(member, 'main form[method="post"]:has([name="who"])')
    assert member.url.endswith(f"/p/{SLUG}/directory")
    member.goto(f"/p/{SLUG}/homework/{aid}")
    member.fill('form[action$="/submit"] textarea[name="body"]', f"我的作业 {marker}")
    submit(member, 'form[action$="/submit"]')
    owner.goto(f"/p/{SLUG}/homework/{aid}")
    entry = owner.locator(".eng-checkin", has_text=f"我的作业 {marker}")
    entry.locator('input[name="score"]').fill("77")
    entry.locator('input[name="comment"]').fill(f"评语 {marker}")
    entry.locator("form.eng-grade [type=submit]").click()
    owner.wait_for_load_state()

    # Someone who is a member (the owner) of planet B only.
    other = people.new(viewport=MOBILE)
    people.sign_up(other, "别的星主")
    slug_b = f"other-{uuid.uuid4().hex[:6]}"
    other.goto("/planets/new")
    other.fill('input[name="name"]', "另一个星球")
    other.fill('input[name="slug"]', slug_b)
    other.select_option('select[name="category"]', "other")
    other.fill('input[name="price"]', "0")
    submit(other, "main form.planet-form")
    assert other.url.endswith(f"/p/{slug_b}/about")

    refused = {
        "directory": f"/p/{SLUG}/directory",
        "challenge": f"/p/{SLUG}/challenges/{cid}",
        "calendar": f"/p/{SLUG}/challenges/{cid}/members/1",
        "homework list (grades)": f"/p/{SLUG}/homework",
        "assignment": f"/p/{SLUG}/homework/{aid}",
        "poll": f"/p/{SLUG}/polls/{pid}",
        "points": f"/p/{SLUG}/points",
        "events": f"/p/{SLUG}/events",
    }
    visitor = people.new(viewport=MOBILE)
    for what, url in refused.items():
        response = other.goto(url)
        assert response.status == 403, (what, response.status)
        assert other.locator(".error-reason").inner_text(), what
        assert marker not in other.content(), what
        assert visitor.goto(url).status == 401, what
    shot(other, "another planet's challenge refused")
    for what, path in {"challenge": f"challenges/{cid}", "assignment": f"homework/{aid}",
                       "poll": f"polls/{pid}"}.items():  # fmt: skip
        response = other.goto(f"/p/{slug_b}/{path}")
        assert response.status == 404, (what, response.status)
        assert marker not in other.content(), what
    for path in ("directory", "challenges", "homework", "polls"):
        assert other.goto(f"/p/{slug_b}/{path}").status == 200
        assert marker not in other.content(), path
    shot(other, "own planet shows none of it")
