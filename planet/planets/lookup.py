"""Loading the objects a URL names: missing, or belonging to another planet, is a 404."""

from __future__ import annotations

import functools

from flask import abort, g
from flask_login import current_user
from sqlalchemy import and_, bindparam, inspect, select
from sqlalchemy.orm import aliased, joinedload, lazyload
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from planet import logs, policy
from planet.dbutil import detached, first_row, loaded_into, read_only_connection
from planet.extensions import db
from planet.planets.models import Membership, Planet
from planet.web import clock, pagecache


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
    named by the slug with its owner and the user's membership in it, every column of each,
    plus `extra` columns (which may refer to User). Parameters: key, slug and whatever
    `extra` binds. Build it once per caller. Run by `load_reader`, in Core: the ORM's loading
    of five entities cost more than the statement's round trip."""
    from planet.accounts.models import User

    owner = aliased(User)
    models = _reader_models()
    columns = [getattr(model, key) for model, keys in models[:4] for key in keys]
    columns += [getattr(owner, key) for key in models[4][1]]
    return _reader_joins(select(*columns, *extra), owner)


@functools.cache
def _reader_models() -> tuple[tuple[type, tuple[str, ...]], ...]:
    """(model, every column attribute) in `reader_statement`'s order: session, user, planet,
    membership, then the planet's owner."""
    from planet.accounts.models import AuthSession, User

    return tuple(
        (model, tuple(column.key for column in inspect(model).column_attrs))
        for model in (AuthSession, User, Planet, Membership, User)
    )


def _reader_joins(statement, owner=None):
    """The FROM and WHERE of every reader statement: the live session by its key, its user,
    the planet by its slug (with its `owner` alias, if given) and the user's membership."""
    from planet.accounts.auth import live_session_condition
    from planet.accounts.models import AuthSession, User

    statement = (
        statement.select_from(AuthSession)
        .join(User, User.id == AuthSession.user_id)
        .outerjoin(Planet, Planet.slug == bindparam("slug"))
    )
    if owner is not None:
        statement = statement.outerjoin(owner, owner.id == Planet.owner_id)
    return statement.outerjoin(
        Membership, and_(Membership.planet_id == Planet.id, Membership.user_id == User.id)
    ).where(live_session_condition())


def load_reader(statement, slug: str, **params):
    """Run `reader_statement`'s `statement` for this request's session: sign the reader in,
    keep the planet and membership for `planet_or_404`, and return the row's extra values.
    None (nothing done) without a session cookie or once the user is loaded. The instances
    join the ORM session as a query would have loaded them (every column, the owner)."""
    from planet.accounts import auth

    key = auth.session_key()
    if key is None or "_login_user" in g:
        return None
    session = db.session()
    row = first_row(session.connection(), statement, {"key": key, "slug": slug, **params})
    if row is None:
        return None  # a revoked session: Flask-Login's own loader says so
    values, extra = _row_values(row, _reader_models())
    auth_session, user, planet, membership, owner = (
        None if fields is None else loaded_into(session, model, fields)
        for (model, _), fields in zip(_reader_models(), values, strict=True)
    )
    if planet is not None and "owner" not in instance_state(planet).dict:
        set_committed_value(planet, "owner", owner)  # the viewer's instance when theirs
    auth.adopt(user, auth_session)
    if planet is not None:
        g.planet_preloaded = (slug, planet, membership)
    return list(extra)


_FRONT_COLUMNS = {
    "AuthSession": ("id", "user_id"),
    "User": ("id", "display_name", "avatar_path", "locale", "is_platform_admin",
             "unread_notifications"),
    "Planet": ("id", "slug", "name", "avatar_path", "owner_id", "timezone", "watermark",
               "content_version", "member_count", "topic_count", "dissolved_at",
               # the settings the policy reads (the tabs, rebuilt when their short cache ends)
               "price_amount", "currency", "renewal_grace_days", "join_approval",
               "posting_policy", "questions_enabled", "anonymous_questions",
               "comments_enabled", "private_messages_enabled", "roster_visible",
               "preview_essence_count", "public_directory", "copy_protection", "is_listed"),
    "Membership": ("id", "planet_id", "user_id", "role", "status", "expires_at",
                   "grace_until", "muted_until", "is_trial"),
}  # fmt: skip
"""What a hit reads of the viewer, the planet and the membership (the standing, the key,
the holes). Anything else read raises (`detached`), and the app answers instead."""
_OWNER_COLUMNS = ("id", "display_name")
"""The planet's owner as its header shows them."""


def front_reader_statement(*extra):
    """`reader_statement` in Core, for the member page front (planet/web/pagefront.py): the
    columns a hit reads, no ORM session. Build it once per caller."""
    from planet.accounts.models import User

    owner = aliased(User)
    columns = [getattr(model, key) for model, keys in _front_models()[:4] for key in keys]
    columns += [getattr(owner, key) for key in _OWNER_COLUMNS]
    return _reader_joins(select(*columns, *extra), owner)


@functools.cache
def _front_models() -> tuple[tuple[type, tuple[str, ...]], ...]:
    """(model, the columns loaded) in the front row's order: session, user, planet,
    membership, then the planet's owner."""
    from planet.accounts.models import AuthSession, User

    loaded = tuple((m, _FRONT_COLUMNS[m.__name__]) for m in (AuthSession, User, Planet, Membership))
    return (*loaded, (User, _OWNER_COLUMNS))


def load_reader_detached(statement, slug: str, **params):
    """Run `front_reader_statement`'s `statement` for this request's session outside the
    ORM session: sign the reader in and prime what `planet_or_404` would, with instances that
    refuse to read what the statement did not load. Returns (planet, the row's extra values),
    or None (a revoked session, no such planet)."""
    from planet.accounts import auth

    key = auth.session_key()
    if key is None:
        return None
    with read_only_connection() as connection:
        row = first_row(connection, statement, {"key": key, "slug": slug, **params})
    if row is None:
        return None
    pagecache.remember_viewer_state(row)
    auth_session, user, planet, membership, extra = _detached_row(row, _front_models())
    if planet is None:
        return None
    auth.adopt(user, auth_session)
    _adopt_planet(user, planet, membership)
    return planet, extra


def _row_values(row, models) -> tuple[list, tuple]:
    """Each model's {column: value} from a reader row in the order of `models` (None for a
    row's missing planet or membership), and the row's extra values."""
    values, start = [], 0
    for _, keys in models:
        fields = dict(zip(keys, row[start : start + len(keys)], strict=True))
        values.append(fields if fields["id"] is not None else None)
        start += len(keys)
    return values, tuple(row[start:])


def _detached_row(row, models) -> tuple:
    """(session, user, planet with its owner, membership, the row's extra values), detached."""
    values, extra = _row_values(row, models)
    *instances, owner = (
        None if fields is None else detached(model, fields)
        for (model, _), fields in zip(models, values, strict=True)
    )
    if instances[2] is not None:
        set_committed_value(instances[2], "owner", owner)
    return (*instances, extra)


def _adopt_planet(user, planet: Planet, membership: Membership | None) -> None:
    """The request's planet, read with the viewer's membership: logged, its standing and its
    zone remembered for the policy and the clock."""
    logs.bind(planet_id=planet.id)
    policy.prime_standing(user, planet, membership)
    clock.remember_planet_zone(planet)


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
    _adopt_planet(user, planet, membership)
    return planet


def in_planet_or_404(model, object_id: int, planet: Planet):
    """Load `model` by id only if it belongs to `planet` (another planet's ids give 404)."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "planet_id", None) != planet.id:
        abort(404)
    return obj
