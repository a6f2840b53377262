"""A challenge's leaderboards rank members in the renewal grace period, not those whose grace
is over."""

from planet.engagement.checkins import services as checkins
from planet.engagement.checkins.models import ChallengeProgress
from planet.engagement.clock import local_day
from planet.extensions import db
from planet.models import utcnow


def test_challenge_leaderboards_rank_grace_members_not_lapsed(world, standings, as_user):
    today = local_day(world.planet, utcnow())
    challenge = checkins.create_challenge(
        world.planet, world.owner, checkins.ChallengeInput("Daily", "", today, 7)
    )
    for days, user in ((2, standings.grace), (3, standings.lapsed)):
        db.session.add(
            ChallengeProgress(
                challenge_id=challenge.id,
                user_id=user.id,
                total_days=days,
                current_streak=days,
                best_streak=days,
                last_day=today,
            )
        )
    db.session.commit()
    standings.settle()

    for kind in ("streak", "total"):
        ranked = [row.user_id for row in checkins.leaderboard(challenge, kind, today)]
        assert ranked == [standings.grace.id], kind

    page = as_user(world.member).get(f"/p/alpha/challenges/{challenge.id}").get_data(as_text=True)
    assert "Gina" in page
    assert "Lars" not in page
