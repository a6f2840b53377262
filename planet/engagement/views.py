"""Community-life pages: one blueprint (`engagement`), its routes in each feature's views module
(introductions, checkins, homework, points, events, polls, insights), and the template helpers
every planet page uses (the community strip under the header, planet-local times)."""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

from flask import request, session
from flask_login import current_user
from markupsafe import Markup

from planet import policy
from planet.engagement.common import Action, bp
from planet.engagement.events.services import countdown, next_events
from planet.engagement.introductions.services import is_introduced
from planet.engagement.introductions.views import INVITE_LATER
from planet.models import utcnow
from planet.web import clock, pagecache
from planet.web.fragments import render_fragment
from planet.web.sessions import csrf_token

FEATURES = ("introductions", "checkins", "homework", "points", "events", "polls", "insights")
"""Each feature's views module registers its routes on `bp` when imported."""

for _feature in FEATURES:
    import_module(f"planet.engagement.{_feature}.views")
import_module("planet.engagement.insights.activity")  # registers the job handlers


def community_strip(planet) -> dict:
    """Under the planet header: the countdown to the next event ("next": event, start,
    countdown, or None) and whether to invite the viewer to introduce themselves ("invite":
    on the planet's home page, where joining lands, to a member without an introduction who
    has not said "not now"). The events and the introduction flag are kept a few seconds per
    process (planet/web/shortcache.py), so most pages run no SQL for it. Reads only."""
    strip = {"next": None, "invite": False}
    if not policy.may(current_user, Action.READ, planet):
        return strip
    now = utcnow()
    may_invite = (
        request.endpoint == "content.timeline"
        and planet.id not in session.get(INVITE_LATER, ())
        and policy.may(current_user, Action.WRITE_INTRODUCTION, planet)
    )
    if may_invite:
        strip["invite"] = not is_introduced(planet.id, current_user.id)
    soonest = next_events(planet, now)
    if soonest:
        event, start = soonest[0]
        strip["next"] = {"event": event, "start": start, "countdown": countdown(start, now)}
    return strip


def _strip_hole(values, arg: str) -> Markup:
    """The community strip, a page cache hole (planet/web/pagecache.py) placed by the planet
    header: a cached fragment keyed by everything it shows, the countdown to the minute."""
    planet = values["planet"]
    strip = community_strip(planet)
    upcoming = strip["next"]
    if upcoming is not None:
        left = upcoming["countdown"]
        upcoming = (
            upcoming["event"].id,
            upcoming["event"].title,
            planet_time(upcoming["start"], planet),
            left["started"],
            left["days"],
            left["hours"],
            left["minutes"],
        )
    if not strip["invite"] and upcoming is None:
        return Markup("")
    path = request.path if strip["invite"] else ""
    return render_fragment(
        "engagement/events/_strip.html",
        "strip",
        planet.slug,
        path,
        strip["invite"],
        upcoming,
        csrf=csrf_token() if strip["invite"] else "",
    )


pagecache.register_hole("strip", _strip_hole)


@bp.app_template_filter("planet_time")
def planet_time(moment: datetime, planet, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A community time in the viewer's zone (the planet's when the browser has not said)."""
    return clock.local_time(moment, planet, fmt)
