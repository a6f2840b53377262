"""Check-in challenges (打卡): create, check in once per local day, streaks, leaderboards,
calendars, daily statistics and the not-checked-in-yet reminder sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from planet import jobs, policy
from planet.dbutil import insert_ignore
from planet.engagement.checkins.models import Challenge, ChallengeProgress, CheckIn, CheckInReminder
from planet.engagement.clock import local_day, local_now, to_utc
from planet.engagement.columns import clean_title
from planet.engagement.insights.activity import record_activity
from planet.engagement.insights.models import ActivityKind
from planet.engagement.points.services import award_for_rule
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, Planet
from planet.text import render_markdown

MAX_LENGTH_DAYS = 366
BODY_MAX = 2000
REMIND_BEFORE_END = timedelta(hours=2)


@dataclass
class ChallengeInput:
    title: str
    rules: str
    start_date: date
    length_days: int
    window_start: time = time(0, 0)
    window_end: time = time(23, 59, 59)
    late_allowed: bool = True


def create_challenge(planet: Planet, actor, data: ChallengeInput) -> Challenge:
    policy.require(actor, policy.Action.MANAGE_CHALLENGES, planet)
    title = clean_title(data.title, _l("A challenge needs a title."))
    if data.length_days is None or data.length_days <= 0:
        raise ServiceError(_l("The length must be at least one day."))
    if data.length_days > MAX_LENGTH_DAYS:
        raise ServiceError(_l("A challenge may last at most 366 days."))
    if data.start_date is None:
        raise ServiceError(_l("Choose a start date."))
    if data.window_end <= data.window_start:
        raise ServiceError(_l("The daily window must end after it starts."))
    challenge = Challenge(
        planet_id=planet.id,
        author_id=actor.id,
        title=title,
        rules=data.rules or "",
        rules_html=render_markdown(data.rules or ""),
        start_date=data.start_date,
        length_days=data.length_days,
        end_date=data.start_date + timedelta(days=data.length_days - 1),
        window_start=data.window_start,
        window_end=data.window_end,
        late_allowed=data.late_allowed,
    )
    db.session.add(challenge)
    db.session.flush()
    return challenge


def checkin_of(challenge: Challenge, user_id: int, day: date) -> CheckIn | None:
    return db.session.scalar(
        select(CheckIn).where(
            CheckIn.challenge_id == challenge.id, CheckIn.user_id == user_id, CheckIn.day == day
        )
    )


def progress_of(challenge: Challenge, user_id: int) -> ChallengeProgress | None:
    return db.session.scalar(
        select(ChallengeProgress).where(
            ChallengeProgress.challenge_id == challenge.id, ChallengeProgress.user_id == user_id
        )
    )


def check_in(
    planet: Planet,
    challenge: Challenge,
    user,
    body: str,
    image_key: str | None = None,
    now: datetime | None = None,
    image=None,
) -> CheckIn:
    """Check in for today (the planet's local day). Once a day; inside the window, or late
    if the challenge accepts late check-ins. `image` is an uploaded file, verified and stored
    only once every other check has passed (a refused check-in leaves no file behind)."""
    from planet.content import uploads

    policy.require(user, policy.Action.CHECK_IN, planet)
    now = now or utcnow()
    local = local_now(planet, now)
    day = local.date()
    if day < challenge.start_date:
        raise ServiceError(_l("This challenge has not started yet."))
    if day > challenge.end_date:
        raise ServiceError(_l("This challenge has ended."))
    body = (body or "").strip()
    has_image = image_key is not None or uploads.has_file(image)
    if not body and not has_image:
        raise ServiceError(_l("Write a few words or add an image to check in."), field="body")
    if len(body) > BODY_MAX:
        raise ServiceError(_l("A check-in may have at most 2000 characters."), field="body")
    wall = local.time().replace(tzinfo=None)
    if wall < challenge.window_start:
        raise ServiceError(
            _l("Check-ins open at %(time)s.", time=challenge.window_start.strftime("%H:%M"))
        )
    is_late = wall > challenge.window_end
    if is_late and not challenge.late_allowed:
        raise ServiceError(
            _l(
                "Today's check-in closed at %(time)s and late check-ins are not accepted.",
                time=challenge.window_end.strftime("%H:%M"),
            )
        )
    if checkin_of(challenge, user.id, day) is not None:
        raise Conflict(_l("You have already checked in today."))
    if uploads.has_file(image):
        image_key = uploads.store_image(planet.id, user.id, image, field="image").key
    checkin = CheckIn(
        challenge_id=challenge.id,
        planet_id=planet.id,
        user_id=user.id,
        day=day,
        body=body,
        body_html=render_markdown(body),
        image_key=image_key,
        is_late=is_late,
        created_at=now,
    )
    db.session.add(checkin)
    db.session.flush()  # the unique key refuses a concurrent second check-in (409)
    progress = progress_of(challenge, user.id)
    new_participant = progress is None
    if progress is None:
        progress = ChallengeProgress(
            challenge_id=challenge.id,
            user_id=user.id,
            total_days=0,
            current_streak=0,
            best_streak=0,
        )
        db.session.add(progress)
    if progress.last_day == day - timedelta(days=1):
        progress.current_streak += 1
    else:
        progress.current_streak = 1
    progress.total_days += 1
    progress.best_streak = max(progress.best_streak, progress.current_streak)
    progress.last_day = day
    db.session.execute(
        update(Challenge)
        .where(Challenge.id == challenge.id)
        .values(
            checkin_count=Challenge.checkin_count + 1,
            participant_count=Challenge.participant_count + (1 if new_participant else 0),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    record_activity(planet.id, user.id, ActivityKind.CHECKIN, checkin.id, now)
    award_for_rule(planet.id, user.id, "checkin", checkin.id, now)
    return checkin


def effective_streak(progress: ChallengeProgress | None, today: date) -> int:
    """A streak is alive if the member checked in today or yesterday."""
    if progress is None or progress.last_day is None:
        return 0
    return progress.current_streak if progress.last_day >= today - timedelta(days=1) else 0


def elapsed_days(challenge: Challenge, today: date) -> int:
    if today < challenge.start_date:
        return 0
    return min(challenge.length_days, (today - challenge.start_date).days + 1)


def leaderboard(
    challenge: Challenge, kind: str, today: date, limit: int = 50, now: datetime | None = None
):
    """'streak' (continuous, live streaks only) or 'total' (cumulative). Only members entitled
    at `now` (those in the renewal grace period too) are ranked."""
    query = (
        select(ChallengeProgress)
        .join(
            Membership,
            (Membership.planet_id == challenge.planet_id)
            & (Membership.user_id == ChallengeProgress.user_id),
        )
        .where(
            ChallengeProgress.challenge_id == challenge.id,
            Membership.active_at(now or utcnow()),
        )
        .options(joinedload(ChallengeProgress.user))
    )
    if kind == "streak":
        query = query.where(ChallengeProgress.last_day >= today - timedelta(days=1)).order_by(
            ChallengeProgress.current_streak.desc(), ChallengeProgress.user_id
        )
    else:
        query = query.order_by(ChallengeProgress.total_days.desc(), ChallengeProgress.user_id)
    return db.session.scalars(query.limit(limit)).all()


def calendar(challenge: Challenge, user_id: int) -> dict[date, CheckIn]:
    rows = db.session.scalars(
        select(CheckIn)
        .where(CheckIn.challenge_id == challenge.id, CheckIn.user_id == user_id)
        .order_by(CheckIn.day)
    ).all()
    return {row.day: row for row in rows}


def calendar_days(challenge: Challenge) -> list[date]:
    return [challenge.start_date + timedelta(days=i) for i in range(challenge.length_days)]


def daily_stats(challenge: Challenge) -> list[tuple[date, int]]:
    rows = db.session.execute(
        select(CheckIn.day, func.count(CheckIn.id))
        .where(CheckIn.challenge_id == challenge.id)
        .group_by(CheckIn.day)
        .order_by(CheckIn.day)
    ).all()
    counts = {day: count for day, count in rows}
    return [(day, counts.get(day, 0)) for day in calendar_days(challenge)]


def day_feed(challenge: Challenge, day: date, after: int | None = None, limit: int = 30):
    query = (
        select(CheckIn)
        .where(CheckIn.challenge_id == challenge.id, CheckIn.day == day)
        .options(joinedload(CheckIn.user))
    )
    if after is not None:
        query = query.where(CheckIn.id < after)
    rows = db.session.scalars(query.order_by(CheckIn.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def completion_rate(challenge: Challenge, today: date) -> float:
    days = elapsed_days(challenge, today)
    if days == 0 or challenge.participant_count == 0:
        return 0.0
    return challenge.checkin_count / (challenge.participant_count * days)


def reminder_moment(planet: Planet, challenge: Challenge, day: date) -> datetime:
    """When today's reminder goes out: two hours before the window closes (UTC)."""
    end = to_utc(planet, day, challenge.window_end)
    start = to_utc(planet, day, challenge.window_start)
    return max(start, end - REMIND_BEFORE_END)


def due_checkin_reminders(now: datetime | None = None, limit: int = 5000) -> dict:
    """Sweep: remind participants of running challenges who have not checked in today.

    Cost follows the work due: only challenges running today (indexed by end/start date) and
    their participants without a check-in today. Each (challenge, member, day) is reminded once
    (a unique key), so re-running the sweep sends nothing twice. Flushes; the caller commits.
    """
    now = now or utcnow()
    utc_day = now.date()
    challenges = db.session.scalars(
        select(Challenge)
        .where(
            Challenge.end_date >= utc_day - timedelta(days=1),
            Challenge.start_date <= utc_day + timedelta(days=1),
        )
        .order_by(Challenge.id)
    ).all()
    sent = 0
    for challenge in challenges:
        planet = db.session.get(Planet, challenge.planet_id)
        if planet is None or planet.is_dissolved:
            continue
        day = local_day(planet, now)
        if not challenge.start_date <= day <= challenge.end_date:
            continue
        if (
            not reminder_moment(planet, challenge, day)
            <= now
            <= to_utc(planet, day, challenge.window_end)
        ):
            continue
        rows = db.session.execute(
            select(ChallengeProgress.user_id, Membership)
            .join(
                Membership,
                (Membership.planet_id == planet.id)
                & (Membership.user_id == ChallengeProgress.user_id),
            )
            .where(
                ChallengeProgress.challenge_id == challenge.id,
                (ChallengeProgress.last_day.is_(None)) | (ChallengeProgress.last_day < day),
            )
            .limit(limit)
        ).all()
        for user_id, membership in rows:
            if policy.membership_state(membership, now)[0] is not policy.MemberState.ACTIVE:
                continue
            if insert_ignore(
                CheckInReminder,
                dict(challenge_id=challenge.id, user_id=user_id, day=day, sent_at=now),
                ["challenge_id", "user_id", "day"],
            ):
                jobs.defer(
                    "engagement.checkin_reminder",
                    challenge_id=challenge.id,
                    user_id=user_id,
                    day=day.isoformat(),
                )
                sent += 1
    db.session.flush()
    return {"reminded": sent, "challenges": len(challenges)}
