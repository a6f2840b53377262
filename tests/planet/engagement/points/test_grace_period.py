"""The points leaderboards rank members in the renewal grace period, not those whose grace is
over."""

from planet.engagement.points import services as points
from planet.engagement.points.models import PeriodKind
from planet.extensions import db
from planet.models import utcnow


def test_leaderboards_rank_grace_members_not_lapsed(world, standings, as_user):
    now = utcnow()
    for amount, user in ((7, standings.grace), (9, standings.lapsed), (3, world.member)):
        points.award_points(world.planet.id, user.id, "topic", amount, f"topic:{user.id}", now)
    db.session.commit()
    standings.settle()

    for kind in PeriodKind:
        ranked = [row.user_id for row in points.leaderboard(world.planet, kind, now)]
        assert ranked == [standings.grace.id, world.member.id], kind

    page = as_user(world.member).get("/p/alpha/points?period=all").get_data(as_text=True)
    assert "Gina" in page
    assert "Lars" not in page
