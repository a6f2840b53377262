"""Community life 7 (the page belongs to the health work; here it is only loaded and checked):
the owner's health page in English with its charts and CSV exports; members are refused it."""

from __future__ import annotations

import pytest

from tests.browser.community import DESKTOP, MOBILE, SLUG, refusal

pytestmark = pytest.mark.browser

CSV_HEADERS = {
    "weekly_active": "week_start,active_members",
    "members": "user_id,name,topics,answers,comments,other,total",
    "unanswered": "topic_id,asked_at,asker,addressee",
    "retention": "metric,value",
    "funnel": "source,view,checkout,paid",
}


def test_owner_health_page_charts_and_csv_exports(people, shot):
    owner = people.as_demo("owner", viewport=DESKTOP, locale="en-US")
    owner.goto(f"/p/{SLUG}/")
    owner.locator(".planet-header .tab-more summary", has_text="Manage").click()
    owner.locator(".planet-header .tab-more a", has_text="Health").click()
    owner.wait_for_url(f"**/p/{SLUG}/health")
    main = owner.locator("main").inner_text()
    for heading in ("Weekly active members", "Join funnel", "Renewals and churn"):
        assert heading in main, heading
    assert owner.locator("main svg.chart").count() >= 1
    assert_funnel_labels_apart(owner)
    shot(owner, "health page in English")

    links = owner.locator("main a.eng-csv")
    hrefs = {href.rsplit("/", 1)[1].removesuffix(".csv"): href for href in (
        links.nth(i).get_attribute("href") for i in range(links.count()))}  # fmt: skip
    assert set(CSV_HEADERS) <= set(hrefs), hrefs
    for table, header in CSV_HEADERS.items():
        response = owner.request.get(hrefs[table])
        assert response.status == 200, table
        assert response.headers["content-type"].startswith("text/csv"), table
        assert response.text().splitlines()[0] == header, table
    with owner.expect_download() as info:
        owner.locator(f'main a.eng-csv[href="{hrefs["weekly_active"]}"]').click()
    assert info.value.suggested_filename == f"{SLUG}-weekly_active.csv"

    phone = people.as_demo("owner", viewport=MOBILE)
    phone.goto(f"/p/{SLUG}/health")
    assert phone.locator("main svg.chart").count() >= 1
    shot(phone, "health page on a phone")

    member = people.as_demo("member", viewport=MOBILE)
    assert member.goto(f"/p/{SLUG}/health").status == 403
    assert refusal(member)
    assert member.locator("svg.chart").count() == 0
    assert member.request.get(hrefs["members"]).status == 403


def assert_funnel_labels_apart(page) -> None:
    """Each of the funnel's nine stages has its label and its number, and no two labels
    overlap on the screen."""
    boxes = page.locator("main .eng-funnel .eng-funnel-label").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert len(boxes) == 9
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)


def test_health_on_a_phone_in_chinese(people, shot):
    owner = people.as_demo("owner", viewport={"width": 360, "height": 760})
    owner.goto(f"/p/{SLUG}/health")
    main = owner.locator("main").inner_text()
    assert "加入漏斗" in main
    assert "成员太少，暂无法判断" in main  # a handful of members: churn would mean nothing
    assert_funnel_labels_apart(owner)
    assert owner.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(owner, "health page on a phone")
