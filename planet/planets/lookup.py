"""Loading the objects a URL names: missing, or belonging to another planet, is a 404."""

from __future__ import annotations

import functools

from flask import abort, g
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


def reader_statement(*extra):
    """One statement for a signed-in reader's page: their live session and user, the planet
    named by the slug and their membership in it, plus `extra` columns (which may refer to
    User). Parameters: key, slug and whatever `extra` binds. Build it once per caller."""
    from planet.accounts.auth import live_session_condition
    from planet.accounts.models import AuthSession, User

    return (
        select(AuthSession, User, Planet, Membership, *extra)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Planet, Planet.slug == bindparam("slug"))
        .outerjoin(
            Membership, and_(Membership.planet_id == Planet.id, Membership.user_id == User.id)
        )
        .where(live_session_condition())
        .options(lazyload(Planet.tags), lazyload(AuthSession.user))
    )


def load_reader(statement, slug: str, **params):
    """Run `reader_statement`'s `statement` for this request's session: sign the reader in,
    keep the planet and membership for `planet_or_404`, and return the row's extra values.
    None (nothing done) without a session cookie or once the user is loaded."""
    from planet.accounts import auth

    key = auth.session_key()
    if key is None or "_login_user" in g:
        return None
    row = db.session.execute(statement, {"key": key, "slug": slug, **params}).first()
    if row is None:
        return None  # a revoked session: Flask-Login's own loader says so
    auth_session, user, planet, membership, *extra = row
    auth.adopt(user, auth_session)
    if planet is not None:
        g.planet_preloaded = (slug, planet, membership)
    return extra


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
    preloaded = g.pop("planet_preloaded", None)
    if preloaded is not None and preloaded[0] == slug and not with_tags:
        row = preloaded[1:]
    else:
        row = (
            db.session.execute(
                _planet_statement(True, with_tags), {"slug": slug, "user_id": user.id}
            )
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
