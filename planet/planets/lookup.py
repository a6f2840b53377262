"""Loading the objects a URL names: missing, or belonging to another planet, is a 404."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import joinedload, lazyload

from planet import logs, policy
from planet.extensions import db
from planet.planets.models import Membership, Planet
from planet.web import clock


@functools.cache
def _planet_statement(with_membership: bool, with_tags: bool = False):
    """Built once: a statement object keeps its SQLAlchemy cache key, so running it again
    costs no construction (about half an ORM query's CPU). The discovery tags are joined in
    for the page that shows them (the landing), left unloaded for the others."""
    tags = joinedload(Planet.tags) if with_tags else lazyload(Planet.tags)
    statement = select(Planet).where(Planet.slug == bindparam("slug")).options(tags)
    if with_membership:
        statement = statement.add_columns(Membership).outerjoin(
            Membership,
            and_(Membership.planet_id == Planet.id, Membership.user_id == bindparam("user_id")),
        )
    return statement


def planet_or_404(slug: str, with_tags: bool = False) -> Planet:
    """The planet, with the signed-in viewer's membership read in the same query and handed
    to the policy (which would otherwise ask for it next). Its discovery tags come in the
    same query `with_tags`, else load only if a page reads them."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        result = db.session.execute(_planet_statement(False, with_tags), {"slug": slug})
        planet = result.unique().scalar()
        if planet is None:
            abort(404)
        logs.bind(planet_id=planet.id)
        clock.remember_planet_zone(planet)
        return planet
    row = (
        db.session.execute(_planet_statement(True, with_tags), {"slug": slug, "user_id": user.id})
        .unique()
        .first()
    )
    if row is None:
        abort(404)
    planet, membership = row
    logs.bind(planet_id=planet.id)
    policy.prime_standing(user, planet, membership)
    clock.remember_planet_zone(planet)
    return planet


def in_planet_or_404(model, object_id: int, planet: Planet):
    """Load `model` by id only if it belongs to `planet` (another planet's ids give 404)."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "planet_id", None) != planet.id:
        abort(404)
    return obj
