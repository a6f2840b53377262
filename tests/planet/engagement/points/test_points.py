"""Points (idempotent, periods, levels, leaderboards, history)."""

import re
from datetime import UTC, date, datetime

import pytest

from planet.engagement.points import services as points
from planet.engagement.points.models import PeriodKind, PointsEvent
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow


def test_award_points_idempotent_and_periods(world):
    at = datetime(2025, 3, 2, 17, 0, tzinfo=UTC)  # Monday 01:00 in Shanghai
    assert points.award_points(world.planet.id, world.member.id, "topic", 2, "topic:1", at)
    assert not points.award_points(world.planet.id, world.member.id, "topic", 2, "topic:1", at)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(PointsEvent)) == 1
    starts = points.period_starts(world.planet, at)
    assert starts[PeriodKind.WEEK] == date(2025, 3, 3)  # local Monday, not UTC Sunday
    for kind in PeriodKind:
        assert points.member_total(world.planet, world.member.id, kind, at) == 2


def test_content_jobs_award_default_points(world, make):
    from planet.engagement.insights import activity

    topic = make.topic(world.planet, world.owner)
    comment = make.comment(topic, world.member)
    question = make.question(world.planet, world.member, world.owner, answer="Yes")
    activity.on_topic_created(topic.id)
    activity.on_comment_created(comment.id)
    activity.on_comment_created(comment.id)
    activity.on_question_answered(question.id)
    db.session.commit()
    now = utcnow()
    assert points.member_total(world.planet, world.owner.id, PeriodKind.ALL, now) == 2 + 3
    assert points.member_total(world.planet, world.member.id, PeriodKind.ALL, now) == 1


def test_leaderboard_page_and_levels(world, as_user, make):
    for i, user in enumerate((world.owner, world.member)):
        points.award_points(world.planet.id, user.id, "topic", 10 * (i + 1), f"x{i}")
    db.session.commit()
    page = as_user(world.member).get("/p/alpha/points?period=all").get_data(as_text=True)
    assert page.index("Mia") < page.index("Owner")
    assert as_user(world.member).get("/p/alpha/points?period=year").status_code == 400
    assert points.level_for(25, points.levels(world.planet.id))[0] == 2
    with pytest.raises(ServiceError):
        points.update_settings(world.planet, {"topic": 3}, [(0, "a"), (0, "b")])
    bad = as_user(world.owner).post(
        "/p/alpha/points/settings",
        data={"topic": "-1", "level_threshold": ["0"], "level_name": ["New"]},
    )
    assert bad.status_code == 400


def test_owner_pages_through_a_members_points_history(world, as_user):
    for i in range(35):
        points.award_points(world.planet.id, world.member.id, "comment", 1, f"comment:{i}")
    points.award_points(world.planet.id, world.member.id, "homework", 9, "homework:1")
    db.session.commit()
    client = as_user(world.owner)
    first = client.get(f"/p/alpha/points/history?user={world.member.id}").get_data(as_text=True)
    assert "Mia" in first and "Homework graded" in first
    older = re.search(r'href="([^"]*points/history[^"]*after=[^"]*)"', first)
    assert older, "no link to the older awards"
    link = older.group(1).replace("&amp;", "&")
    assert f"user={world.member.id}" in link
    second = client.get(link).get_data(as_text=True)
    awards = re.findall(r"<td[^>]*>\+1</td>", second)
    assert "Mia" in second and len(awards) == 6  # 36 awards, 30 a page
    assert (
        as_user(world.member).get(f"/p/alpha/points/history?user={world.owner.id}").status_code
        == 403
    )
