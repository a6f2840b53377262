"""The viewer's time zone: the browser's (the `tz` cookie static/js/app.js keeps), else a
fallback (the planet's). Times that matter to a person (how long paid access lasts, a refund
deadline) are shown in it, labelled with the zone's name."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, has_request_context, request

COOKIE = "tz"
DEFAULT_ZONE = "Asia/Shanghai"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def viewer_zone(fallback: str | None = None) -> ZoneInfo:
    """The browser's zone when it told us one, else `fallback`, else Asia/Shanghai."""
    browser = unquote(request.cookies.get(COOKIE, "")) if has_request_context() else None
    return _zone(browser) or _zone(fallback) or ZoneInfo(DEFAULT_ZONE)


def viewer_time(moment: datetime | None, fallback: str | None = None) -> str:
    """`moment` in the viewer's zone, labelled: 2026-05-01 14:00 (Asia/Shanghai)."""
    if moment is None:
        return ""
    zone = viewer_zone(fallback)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"


def init_app(app: Flask) -> None:
    app.add_template_filter(
        lambda moment, planet=None: viewer_time(moment, getattr(planet, "timezone", None)),
        "viewer_time",
    )
