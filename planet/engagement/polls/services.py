"""Polls (single or multiple choice, deadline, results after voting or after close) and
verifiable lotteries (the seed's hash is published before the draw, the seed after it)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, distinct, select, update

from planet import policy
from planet.engagement.checkins.models import CheckIn
from planet.engagement.clock import local_day, week_start
from planet.engagement.insights.models import ActivityWeek
from planet.engagement.polls.models import (
    Lottery,
    LotteryEligibility,
    Poll,
    PollBallot,
    PollOption,
    ResultsVisibility,
)
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, Planet

MAX_OPTIONS = 20
OPTION_MAX = 120


def create_poll(
    planet: Planet,
    actor,
    question: str,
    options: list[str],
    *,
    multiple: bool,
    closes_at: datetime,
    results: ResultsVisibility = ResultsVisibility.AFTER_VOTE,
    now: datetime | None = None,
) -> Poll:
    policy.require(actor, policy.Action.CREATE_POLL, planet)
    now = now or utcnow()
    question = (question or "").strip()
    if not question:
        raise ServiceError(_l("A poll needs a question."))
    if len(question) > 200:
        raise ServiceError(_l("The question may have at most 200 characters."))
    labels: list[str] = []
    for label in options or []:
        label = (label or "").strip()
        if label and label not in labels:
            if len(label) > OPTION_MAX:
                raise ServiceError(_l("An option may have at most 120 characters."))
            labels.append(label)
    if len(labels) < 2:
        raise ServiceError(_l("A poll needs at least two different options."))
    if len(labels) > MAX_OPTIONS:
        raise ServiceError(_l("A poll may have at most 20 options."))
    if closes_at is None or closes_at <= now:
        raise ServiceError(_l("The deadline must be in the future."))
    poll = Poll(
        planet_id=planet.id,
        author_id=actor.id,
        question=question,
        multiple=bool(multiple),
        closes_at=closes_at,
        results=results,
        created_at=now,
    )
    poll.options = [PollOption(label=label, position=i) for i, label in enumerate(labels)]
    db.session.add(poll)
    db.session.flush()
    return poll


def ballot_of(poll: Poll, user_id: int | None) -> PollBallot | None:
    if user_id is None:
        return None
    return db.session.scalar(
        select(PollBallot).where(PollBallot.poll_id == poll.id, PollBallot.user_id == user_id)
    )


def vote(
    planet: Planet, poll: Poll, user, option_ids: list[int], now: datetime | None = None
) -> PollBallot:
    policy.require(user, policy.Action.VOTE, planet)
    now = now or utcnow()
    if now >= poll.closes_at:
        raise ServiceError(_l("This poll is closed."))
    chosen = sorted(set(option_ids or []))
    valid = {option.id for option in poll.options}
    if not chosen:
        raise ServiceError(_l("Choose an option."))
    if any(option_id not in valid for option_id in chosen):
        raise ServiceError(_l("That option is not part of this poll."))
    if not poll.multiple and len(chosen) != 1:
        raise ServiceError(_l("Choose exactly one option."))
    if ballot_of(poll, user.id) is not None:
        raise Conflict(_l("You have already voted in this poll."))
    ballot = PollBallot(poll_id=poll.id, user_id=user.id, option_ids=chosen, created_at=now)
    db.session.add(ballot)
    db.session.flush()  # the unique key refuses a concurrent second vote (409)
    db.session.execute(
        update(PollOption)
        .where(PollOption.id.in_(chosen))
        .values(vote_count=PollOption.vote_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Poll)
        .where(Poll.id == poll.id)
        .values(voter_count=Poll.voter_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return ballot


def results_visible(poll: Poll, has_voted: bool, now: datetime) -> bool:
    if now >= poll.closes_at:
        return True
    return poll.results is ResultsVisibility.AFTER_VOTE and has_voted


def list_polls(planet: Planet, after: int | None = None, limit: int = 20):
    query = select(Poll).where(Poll.planet_id == planet.id)
    if after is not None:
        query = query.where(Poll.id < after)
    rows = db.session.scalars(query.order_by(Poll.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


# ---------------------------------------------------------------- lotteries


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def pick_winners(seed: str, entrants: list[int], count: int) -> list[int]:
    """Deterministic from the published seed and entrant list: rank each entrant by
    SHA-256("<seed>:<user id>") and take the lowest `count`. Anyone can recompute it."""
    ranked = sorted(
        entrants, key=lambda uid: (hashlib.sha256(f"{seed}:{uid}".encode()).hexdigest(), uid)
    )
    return ranked[:count]


def create_lottery(
    planet: Planet,
    actor,
    title: str,
    prize: str,
    eligibility: LotteryEligibility,
    winner_count: int,
) -> Lottery:
    policy.require(actor, policy.Action.RUN_LOTTERY, planet)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("A lottery needs a title."))
    if winner_count is None or not 1 <= winner_count <= 100:
        raise ServiceError(_l("Draw between 1 and 100 winners."))
    seed = secrets.token_hex(32)
    lottery = Lottery(
        planet_id=planet.id,
        author_id=actor.id,
        title=title[:120],
        prize=(prize or "").strip()[:200],
        eligibility=eligibility,
        winner_count=winner_count,
        seed=seed,
        seed_hash=seed_hash(seed),
    )
    db.session.add(lottery)
    db.session.flush()
    return lottery


def eligible_user_ids(planet: Planet, eligibility: LotteryEligibility, now: datetime) -> list[int]:
    """Active members who took the action, sorted by id."""
    active = and_(
        Membership.planet_id == planet.id,
        Membership.active_at(now),
    )
    monday = week_start(local_day(planet, now))
    if eligibility is LotteryEligibility.CHECKED_IN_THIS_WEEK:
        query = (
            select(distinct(CheckIn.user_id))
            .join(Membership, and_(active, Membership.user_id == CheckIn.user_id))
            .where(CheckIn.planet_id == planet.id, CheckIn.day >= monday)
        )
    elif eligibility is LotteryEligibility.ACTIVE_THIS_WEEK:
        query = (
            select(ActivityWeek.user_id)
            .join(Membership, and_(active, Membership.user_id == ActivityWeek.user_id))
            .where(
                ActivityWeek.planet_id == planet.id,
                ActivityWeek.week_start == monday,
                ActivityWeek.total > 0,
            )
        )
    else:
        query = select(Membership.user_id).where(active)
    return sorted(db.session.scalars(query).all())


def draw_lottery(planet: Planet, lottery: Lottery, actor, now: datetime | None = None) -> Lottery:
    policy.require(actor, policy.Action.RUN_LOTTERY, planet)
    now = now or utcnow()
    if lottery.drawn_at is not None:
        raise Conflict(_l("This lottery has already been drawn."))
    entrants = eligible_user_ids(planet, lottery.eligibility, now)
    if not entrants:
        raise ServiceError(_l("Nobody is eligible for this lottery yet."))
    lottery.entrants = entrants
    lottery.winners = pick_winners(lottery.seed, entrants, lottery.winner_count)
    lottery.drawn_at = now
    db.session.flush()
    return lottery


def list_lotteries(planet: Planet, limit: int = 20):
    return db.session.scalars(
        select(Lottery)
        .where(Lottery.planet_id == planet.id)
        .order_by(Lottery.id.desc())
        .limit(limit)
    ).all()
