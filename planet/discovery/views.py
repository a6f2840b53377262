"""Discover: listed planets, searched by name or tag, sorted by members or recent activity."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import and_, func, or_, select

from planet.extensions import db
from planet.planets.models import Planet, PlanetTag
from planet.web import anoncache
from planet.web.cursors import decode_ints, encode, from_micros, to_micros

bp = Blueprint("discovery", __name__)
SORTS = ("members", "active")
QUERY_MAX = 80


def listed_planets(q: str = "", tag: str = "", sort: str = "members", after=None, limit=20):
    """One page of public, listed, not dissolved planets and the next page's cursor.

    Sorting walks ix_planets_listed_members / ix_planets_listed_activity; the cursor is the
    last row's (sort key, id).
    """
    statement = select(Planet).where(Planet.is_listed.is_(True), Planet.dissolved_at.is_(None))
    if q:
        statement = statement.where(func.lower(Planet.name).contains(q.lower(), autoescape=True))
    if tag:
        statement = statement.where(
            select(PlanetTag.id)
            .where(PlanetTag.planet_id == Planet.id, PlanetTag.name == tag)
            .exists()
        )
    if sort == "active":
        key = Planet.last_activity_at
        if after is not None:
            moment = from_micros(after[0])
            statement = statement.where(
                or_(key < moment, and_(key == moment, Planet.id < after[1]))
            )
    else:
        key = Planet.member_count
        if after is not None:
            statement = statement.where(
                or_(key < after[0], and_(key == after[0], Planet.id < after[1]))
            )
    statement = statement.order_by(key.desc(), Planet.id.desc()).limit(limit + 1)
    planets = db.session.scalars(statement).unique().all()
    next_cursor = None
    if len(planets) > limit:
        last = planets[limit - 1]
        value = to_micros(last.last_activity_at) if sort == "active" else last.member_count
        next_cursor = encode(value, last.id)
    return planets[:limit], next_cursor


@bp.get("/discover")
def discover():
    """Visitors without a session share a copy kept for a short time (planet/web/anoncache.py)."""
    return anoncache.serve(_render_discover)


def _render_discover():
    q = (request.args.get("q") or "").strip()[:QUERY_MAX]
    tag = (request.args.get("tag") or "").strip().lstrip("#").lower()[:30]
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "members"
    after = decode_ints(request.args.get("after"), 2)
    planets, next_cursor = listed_planets(q, tag, sort, after, current_app.config["PAGE_SIZE"])
    excerpts = {planet.id: planet.short_excerpt(120) for planet in planets}
    return render_template(
        "discovery/discover.html",
        planets=planets,
        excerpts=excerpts,
        next_cursor=next_cursor,
        q=q,
        tag=tag,
        sort=sort,
    )
