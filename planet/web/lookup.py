"""Loading the objects a URL names: missing, or belonging to another planet, is a 404."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from planet.extensions import db
from planet.planets.models import Planet


def planet_or_404(slug: str) -> Planet:
    planet = db.session.scalar(select(Planet).where(Planet.slug == slug))
    if planet is None:
        abort(404)
    return planet


def in_planet_or_404(model, object_id: int, planet: Planet):
    """Load `model` by id only if it belongs to `planet` (another planet's ids give 404)."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "planet_id", None) != planet.id:
        abort(404)
    return obj
