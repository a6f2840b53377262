"""Planet-local time: days, weeks and wall-clock times follow the planet's IANA time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"
EPOCH_DAY = date(1970, 1, 1)


def planet_tz(planet) -> ZoneInfo:
    try:
        return ZoneInfo(getattr(planet, "timezone", None) or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def local_now(planet, now: datetime) -> datetime:
    return now.astimezone(planet_tz(planet))


def local_day(planet, now: datetime) -> date:
    return local_now(planet, now).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def to_utc(planet, day: date, at: time) -> datetime:
    """The UTC instant of a local wall time (a time skipped by DST moves forward, as zoneinfo
    resolves it with fold=0)."""
    local = datetime.combine(day, at, tzinfo=planet_tz(planet))
    # Normalise times that do not exist (spring-forward gap) via a UTC round trip.
    return local.astimezone(UTC)


def day_bounds(planet, day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local day as UTC instants (23 or 25 hours long on DST days)."""
    return to_utc(planet, day, time(0)), to_utc(planet, day + timedelta(days=1), time(0))
