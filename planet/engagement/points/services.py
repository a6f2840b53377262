"""Points and levels: awards are idempotent by (reason, ref) and update per-period totals, so a
leaderboard is an indexed top-N over PointsTotal rows."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from planet.dbutil import insert_ignore, upsert_add
from planet.engagement.clock import EPOCH_DAY, local_day, month_start, week_start
from planet.engagement.columns import joins_membership
from planet.engagement.points.models import PeriodKind, PointsEvent, PointsSettings, PointsTotal
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, Planet

DEFAULT_VALUES = {
    "topic": 2,
    "essence": 5,
    "answer": 3,
    "referral": 5,
    "comment": 1,
    "checkin": 1,
    "homework_per_100": 10,
}
VALUE_LABELS = {
    "topic": _l("Topic posted"),
    "essence": _l("Topic made essence"),
    "answer": _l("Question answered"),
    "referral": _l("Brought a new member"),
    "comment": _l("Comment posted"),
    "checkin": _l("Check-in"),
    "homework_per_100": _l("Homework (points for a score of 100)"),
}
REASON_LABELS = {
    **{key: label for key, label in VALUE_LABELS.items() if key != "homework_per_100"},
    "homework": _l("Homework graded"),
}
"""How a member's points history names each award (PointsEvent.reason)."""
DEFAULT_LEVELS = [
    (0, _l("Newcomer")),
    (20, _l("Regular")),
    (100, _l("Contributor")),
    (300, _l("Core member")),
    (1000, _l("Legend")),
]
MAX_VALUE = 1000


def settings_for(planet_id: int) -> PointsSettings | None:
    return db.session.get(PointsSettings, planet_id)


def point_values(planet_id: int, settings: PointsSettings | None = None) -> dict[str, int]:
    settings = settings if settings is not None else settings_for(planet_id)
    values = dict(DEFAULT_VALUES)
    if settings is not None:
        values.update({k: int(v) for k, v in (settings.values or {}).items() if k in values})
    return values


def levels(planet_id: int, settings: PointsSettings | None = None) -> list[tuple[int, str]]:
    settings = settings if settings is not None else settings_for(planet_id)
    if settings is not None and settings.levels:
        return [(int(t), str(n)) for t, n in settings.levels]
    return [(t, str(n)) for t, n in DEFAULT_LEVELS]


def level_for(points: int, table: list[tuple[int, str]]) -> tuple[int, str]:
    """(level number starting at 1, name) of a points total."""
    number, name = 1, table[0][1] if table else ""
    for index, (threshold, level_name) in enumerate(table, start=1):
        if points >= threshold:
            number, name = index, level_name
    return number, name


def update_settings(planet: Planet, values: dict[str, int], level_rows: list[tuple[int, str]]):
    """Save the owner's point values and levels (validated: non-negative, ascending)."""
    for key, value in values.items():
        if key not in DEFAULT_VALUES:
            raise ServiceError(_l("Unknown point rule."))
        if not 0 <= value <= MAX_VALUE:
            raise ServiceError(_l("Point values must be between 0 and 1000."))
    thresholds = [t for t, _ in level_rows]
    if not level_rows or thresholds[0] != 0:
        raise ServiceError(_l("The first level must start at 0 points."))
    if any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
        raise ServiceError(_l("Level thresholds must increase."))
    if any(not name.strip() for _, name in level_rows):
        raise ServiceError(_l("Every level needs a name."))
    settings = settings_for(planet.id)
    if settings is None:
        settings = PointsSettings(planet_id=planet.id)
        db.session.add(settings)
    settings.values = dict(values)
    settings.levels = [[t, n.strip()] for t, n in level_rows]
    db.session.flush()
    return settings


def period_starts(planet: Planet, moment: datetime) -> dict[PeriodKind, date]:
    day = local_day(planet, moment)
    return {
        PeriodKind.ALL: EPOCH_DAY,
        PeriodKind.MONTH: month_start(day),
        PeriodKind.WEEK: week_start(day),
    }


def award_points(
    planet_id: int,
    user_id: int,
    reason: str,
    amount: int,
    ref: str,
    at: datetime | None = None,
) -> bool:
    """Give `amount` points once per (reason, ref); True when awarded now, False if already."""
    if amount == 0:
        return False
    at = at or utcnow()
    written = insert_ignore(
        PointsEvent,
        dict(
            planet_id=planet_id,
            user_id=user_id,
            reason=reason,
            ref=str(ref)[:64],
            amount=amount,
            created_at=at,
        ),
        ["planet_id", "reason", "ref"],
    )
    if not written:
        return False
    planet = db.session.get(Planet, planet_id)
    for kind, start in period_starts(planet, at).items():
        upsert_add(
            PointsTotal,
            dict(planet_id=planet_id, period_kind=kind, period_start=start, user_id=user_id),
            dict(points=amount),
        )
    db.session.flush()
    return True


def award_for_rule(planet_id: int, user_id: int, rule: str, ref, at=None) -> bool:
    return award_points(
        planet_id, user_id, rule, point_values(planet_id)[rule], f"{rule}:{ref}", at
    )


def leaderboard(planet: Planet, kind: PeriodKind, now: datetime, limit: int = 50):
    """Top members of the current period: [(PointsTotal with user)], highest first. Only
    members entitled at `now` (those in the renewal grace period too) are ranked."""
    start = period_starts(planet, now)[kind]
    return db.session.scalars(
        select(PointsTotal)
        .join(Membership, joins_membership(PointsTotal))
        .where(
            PointsTotal.planet_id == planet.id,
            PointsTotal.period_kind == kind,
            PointsTotal.period_start == start,
            Membership.active_at(now),
        )
        .options(joinedload(PointsTotal.user))
        .order_by(PointsTotal.points.desc(), PointsTotal.user_id)
        .limit(limit)
    ).all()


def member_total(planet: Planet, user_id: int, kind: PeriodKind, now: datetime) -> int:
    start = period_starts(planet, now)[kind]
    return (
        db.session.scalar(
            select(PointsTotal.points).where(
                PointsTotal.planet_id == planet.id,
                PointsTotal.period_kind == kind,
                PointsTotal.period_start == start,
                PointsTotal.user_id == user_id,
            )
        )
        or 0
    )


def history(planet: Planet, user_id: int, after: int | None, limit: int = 30):
    """A member's awards, newest first, keyset-paginated by id."""
    query = select(PointsEvent).where(
        PointsEvent.planet_id == planet.id, PointsEvent.user_id == user_id
    )
    if after is not None:
        query = query.where(PointsEvent.id < after)
    rows = db.session.scalars(query.order_by(PointsEvent.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
