"""Lotteries draw among entitled members: those in the renewal grace period take part, a
member whose grace is over does not."""

from planet.engagement.checkins.models import CheckIn
from planet.engagement.clock import local_day
from planet.engagement.insights.activity import record_activity
from planet.engagement.insights.models import ActivityKind
from planet.engagement.polls import services as polls
from planet.engagement.polls.models import LotteryEligibility
from planet.extensions import db
from planet.models import utcnow


def test_all_members_lottery_draws_among_grace_members_not_lapsed(world, standings):
    standings.settle()
    lottery = polls.create_lottery(
        world.planet, world.owner, "Book draw", "A book", LotteryEligibility.ALL_MEMBERS, 5
    )
    polls.draw_lottery(world.planet, lottery, world.owner)
    db.session.commit()
    assert standings.grace.id in lottery.entrants
    assert standings.lapsed.id not in lottery.entrants
    assert world.member.id in lottery.entrants
    assert standings.lapsed.id not in lottery.winners


def test_active_this_week_lottery_counts_grace_members_not_lapsed(world, standings):
    now = utcnow()
    for ref, user in enumerate((standings.grace, standings.lapsed), start=1):
        record_activity(world.planet.id, user.id, ActivityKind.COMMENT, ref, now)
    db.session.commit()
    standings.settle()
    entrants = polls.eligible_user_ids(world.planet, LotteryEligibility.ACTIVE_THIS_WEEK, now)
    assert entrants == [standings.grace.id]


def test_checked_in_lottery_counts_grace_members_not_lapsed(world, standings):
    from planet.engagement.checkins import services as checkins

    now = utcnow()
    today = local_day(world.planet, now)
    challenge = checkins.create_challenge(
        world.planet, world.owner, checkins.ChallengeInput("Daily", "", today, 7)
    )
    for user in (standings.grace, standings.lapsed):
        db.session.add(
            CheckIn(
                challenge_id=challenge.id, planet_id=world.planet.id, user_id=user.id, day=today
            )
        )
    db.session.commit()
    standings.settle()
    entrants = polls.eligible_user_ids(world.planet, LotteryEligibility.CHECKED_IN_THIS_WEEK, now)
    assert entrants == [standings.grace.id]
