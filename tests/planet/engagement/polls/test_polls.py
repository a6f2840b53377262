"""Polls and lotteries: flows, bad input, access."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from planet.engagement.polls import services as polls
from planet.engagement.polls.models import LotteryEligibility, PollBallot, ResultsVisibility
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.models import utcnow


def _poll(world, question: str, options: list[str], multiple: bool, results):
    """The owner's poll, closing in a day."""
    closes_at = utcnow() + timedelta(days=1)
    return polls.create_poll(
        world.planet,
        world.owner,
        question,
        options,
        multiple=multiple,
        closes_at=closes_at,
        results=results,
    )


def test_poll_rules(world, as_user):
    owner = as_user(world.owner)
    bad = owner.post(
        "/p/alpha/polls/new",
        data={"question": "Q?", "options": "", "closes_date": "2099-01-01", "closes_time": "10:00"},
    )
    assert bad.status_code == 400 and "at least two" in bad.get_data(as_text=True)
    poll = _poll(world, "Lunch?", ["Tea", "Coffee"], False, ResultsVisibility.AFTER_VOTE)
    db.session.commit()
    member = as_user(world.member)
    assert "Coffee" in member.get(f"/p/alpha/polls/{poll.id}").get_data(as_text=True)
    tea, coffee = (o.id for o in poll.options)
    assert (
        member.post(f"/p/alpha/polls/{poll.id}/vote", data={"option": [tea, coffee]}).status_code
        == 400
    )
    assert member.post(f"/p/alpha/polls/{poll.id}/vote", data={"option": tea}).status_code == 302
    twice = member.post(f"/p/alpha/polls/{poll.id}/vote", data={"option": coffee})
    assert twice.status_code == 409
    assert db.session.scalar(db.select(db.func.count()).select_from(PollBallot)) == 1
    with pytest.raises(ServiceError, match="closed"):
        polls.vote(world.planet, poll, world.owner, [tea], now=poll.closes_at)


def test_results_hidden_until_close(world):
    poll = _poll(world, "Q", ["a", "b"], True, ResultsVisibility.AFTER_CLOSE)
    assert not polls.results_visible(poll, True, utcnow())
    assert polls.results_visible(poll, False, poll.closes_at)


def test_lottery_is_verifiable(world, make):
    for _ in range(5):
        make.member(world.planet)
    lottery = polls.create_lottery(
        world.planet, world.owner, "Book", "A book", LotteryEligibility.ALL_MEMBERS, 2
    )
    committed = lottery.seed_hash
    polls.draw_lottery(world.planet, lottery, world.owner)
    assert hashlib.sha256(lottery.seed.encode()).hexdigest() == committed
    assert lottery.winners == polls.pick_winners(lottery.seed, lottery.entrants, 2)
    assert len(set(lottery.winners)) == 2
    with pytest.raises(Conflict):
        polls.draw_lottery(world.planet, lottery, world.owner)


def test_lottery_among_checked_in_this_week(world):
    from datetime import date

    from planet.engagement.checkins import services as checkins

    lottery = polls.create_lottery(
        world.planet, world.owner, "Week", "", LotteryEligibility.CHECKED_IN_THIS_WEEK, 1
    )
    with pytest.raises(ServiceError, match="Nobody"):
        polls.draw_lottery(world.planet, lottery, world.owner)
    now = datetime.now(UTC)
    challenge = checkins.create_challenge(
        world.planet, world.owner, checkins.ChallengeInput("c", "", date(2000, 1, 1), 366 * 0 + 366)
    )
    challenge.end_date = date(2100, 1, 1)
    checkins.check_in(world.planet, challenge, world.member, "hi", now=now)
    polls.draw_lottery(world.planet, lottery, world.owner, now=now)
    assert lottery.winners == [world.member.id]
