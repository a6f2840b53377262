"""The viewer's time zone, the one home of how a time is shown: the browser's zone (the `tz`
cookie static/js/app.js keeps), else the planet's the page belongs to, else Asia/Shanghai.

Every page time goes through these filters (and Flask-Babel's `datetimeformat`, whose time
zone is the same choice): `local_time` for a plain time, `viewer_time` for one that matters to
a person (a deadline, a refund window, an event), labelled with the zone's name; `local_date`
for a day; `time_until` for how long is left (a deadline). Nothing on a page is printed in UTC.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytz
from flask import Flask, g, has_request_context, request
from flask_babel import format_timedelta
from pytz.tzinfo import BaseTzInfo

from planet.models import utcnow

COOKIE = "tz"
DEFAULT_ZONE = "Asia/Shanghai"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def remember_planet_zone(planet) -> None:
    """The page belongs to `planet`: its zone is the fallback for this request."""
    if has_request_context():
        g.planet_zone = getattr(planet, "timezone", None)


def viewer_zone(fallback: str | None = None) -> ZoneInfo:
    """The browser's zone when it told us one, else `fallback` (or the request's planet's),
    else Asia/Shanghai."""
    browser = unquote(request.cookies.get(COOKIE, "")) if has_request_context() else None
    planet = g.get("planet_zone") if has_request_context() else None
    return _zone(browser) or _zone(fallback) or _zone(planet) or ZoneInfo(DEFAULT_ZONE)


class NonexistentLocalTime(ValueError):
    """A wall-clock time its zone skips (clocks going forward for daylight saving)."""


def utc_from_local(naive: datetime, planet=None) -> datetime:
    """The UTC instant of a wall-clock time the viewer typed, read in the viewer's zone (the
    one the page showed). zoneinfo quietly moves a skipped time (a daylight-saving gap), so a
    time that does not come back unchanged from UTC raises NonexistentLocalTime. A repeated
    time (clocks going back) is its first occurrence."""
    zone = viewer_zone(getattr(planet, "timezone", None))
    local = naive.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive.replace(tzinfo=None):
        raise NonexistentLocalTime(naive)
    return instant


def select_timezone() -> BaseTzInfo:
    """Flask-Babel's time zone selector (for `datetimeformat` and cached fragments' keys):
    the viewer's zone as the pytz zone Flask-Babel would look up from its name."""
    return _babel_zone(viewer_zone().key)


_babel_zone = functools.lru_cache(maxsize=64)(pytz.timezone)


def local_time(moment: datetime | None, planet=None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` in the viewer's zone, unlabelled."""
    if moment is None:
        return ""
    return moment.astimezone(viewer_zone(getattr(planet, "timezone", None))).strftime(fmt)


def local_date(moment: datetime | None, planet=None) -> str:
    return local_time(moment, planet, "%Y-%m-%d")


def viewer_time(moment: datetime | None, fallback: str | None = None) -> str:
    """`moment` in the viewer's zone, labelled: 2026-05-01 14:00 (Asia/Shanghai)."""
    if moment is None:
        return ""
    zone = viewer_zone(fallback)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def time_until(moment: datetime | None, now: datetime | None = None) -> str:
    """How long until `moment`, in the page's language ("in 2 days", "2天后"); a moment
    already past reads as such ("1 hour ago")."""
    if moment is None:
        return ""
    return format_timedelta(moment - (now or utcnow()), add_direction=True)


def viewer_zone_name(planet=None) -> str:
    return viewer_zone(getattr(planet, "timezone", None)).key


def init_app(app: Flask) -> None:
    app.add_template_filter(
        lambda moment, planet=None: viewer_time(moment, getattr(planet, "timezone", None)),
        "viewer_time",
    )
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(time_until, "time_until")
    app.add_template_global(viewer_zone_name)
