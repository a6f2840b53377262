"""Small database helpers (planet/dbutil.py) on both databases."""

import pytest
from sqlalchemy import select

from planet.accounts.models import User
from planet.dbutil import among_ids
from planet.extensions import db
from tests import factories


def _matching(ids: list[int]) -> list[int]:
    dialect = db.engine.dialect.name
    statement = select(User.id).where(among_ids(User.id, "ids", dialect)).order_by(User.id)
    return list(db.session.scalars(statement, {"ids": ids}))


@pytest.mark.parametrize("database", ["default", pytest.param("pg", marks=pytest.mark.postgres)])
def test_among_ids_finds_exactly_the_listed_rows(app, database, query_counter):
    users = [factories.user(f"u{n}@example.com") for n in range(4)]
    db.session.commit()
    ids = [user.id for user in users]
    with query_counter() as counter:
        assert _matching([ids[3]]) == [ids[3]]
        assert _matching([ids[0], ids[2], 10_000]) == [ids[0], ids[2]]
        assert _matching([]) == []
    if db.engine.dialect.name == "postgresql":
        # One SQL text for any number of ids: psycopg prepares the statement once.
        assert len(set(counter.statements)) == 1 and "ANY" in counter.statements[0]


def test_a_detached_instance_refuses_what_was_not_loaded():
    """The member page front builds its rows this way: a column it did not select, or a
    relationship, raises instead of quietly reading None (the app then answers)."""
    from sqlalchemy import inspect
    from sqlalchemy.orm.exc import DetachedInstanceError

    from planet.dbutil import detached
    from planet.planets.models import Planet

    user = detached(User, {"id": 7, "display_name": "Ada", "is_platform_admin": False})
    assert (user.id, user.display_name, user.is_platform_admin) == (7, "Ada", False)
    state = inspect(user)
    assert state.detached and state.identity == (7,) and not state.modified
    with pytest.raises(DetachedInstanceError):
        _ = user.locale
    with pytest.raises(DetachedInstanceError):
        _ = user.email
    planet = detached(Planet, {"id": 3, "slug": "orbit", "owner_id": 7})
    with pytest.raises(DetachedInstanceError):
        _ = planet.owner


@pytest.mark.parametrize("database", ["default", pytest.param("pg", marks=pytest.mark.postgres)])
def test_first_row_gives_what_the_orm_execution_gives(app, database, query_counter):
    """The member front's statement through the driver: the same values, the enums and
    times converted by their columns' own processors, as SQLAlchemy's own execution."""
    from sqlalchemy import bindparam

    from planet.accounts.models import AuthSession
    from planet.dbutil import _driver_form, first_row
    from planet.planets.models import Membership, MembershipStatus, Planet

    owner = factories.user("owner@example.com")
    planet = factories.planet(owner, slug="rows")
    member = factories.user("member@example.com")
    factories.member(planet, member)
    db.session.add(AuthSession(key="k" * 32, user_id=member.id))
    db.session.commit()
    statement = (
        select(Membership.role, Membership.status, Membership.expires_at, Planet.watermark,
               User.display_name, among_ids(Membership.id, "ids", db.engine.dialect.name))
        .join(Planet, Planet.id == Membership.planet_id)
        .join(User, User.id == Membership.user_id)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(Planet.slug == bindparam("slug"), AuthSession.key == bindparam("key"))
    )  # fmt: skip
    params = {"slug": "rows", "key": "k" * 32, "ids": [1, 2, 3]}
    with db.engine.connect() as connection:
        expected = tuple(connection.execute(statement, params).first())
        with query_counter() as counter:  # watchers of the engine still see the statement
            row = first_row(connection, statement, params)
        assert counter.count == 1
        missing = first_row(connection, statement, {**params, "key": "nobody"})
    assert row == expected and row[1] is MembershipStatus.ACTIVE
    assert missing is None
    driver = _driver_form(statement, db.engine.dialect)
    assert (driver is not None) == (db.engine.dialect.name == "postgresql")


def _backend_pid(connection) -> int:
    return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


@pytest.mark.postgres
def test_a_thread_keeps_its_read_only_connection_until_an_error_or_its_end(app):
    """The front's connection stays checked out for the thread's next request; an error in
    the block gives it back (the next one is new), and so does the thread's end."""
    import gc
    import threading

    from planet.dbutil import read_only_connection

    pool = db.engine.pool
    with read_only_connection() as connection:
        first = _backend_pid(connection)
        assert connection.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
    held = pool.checkedout()
    with read_only_connection() as connection:
        assert _backend_pid(connection) == first
    assert pool.checkedout() == held

    with pytest.raises(RuntimeError), read_only_connection() as connection:
        raise RuntimeError("a statement failed")
    assert pool.checkedout() == held - 1
    with read_only_connection() as connection:
        assert not connection.closed and pool.checkedout() == held

    seen: list[int] = []

    def another_thread():
        with app.app_context(), read_only_connection() as connection:
            seen.append(_backend_pid(connection))

    thread = threading.Thread(target=another_thread)
    thread.start()
    thread.join()
    assert seen and seen[0] != first
    del thread
    gc.collect()
    assert pool.checkedout() == held  # the ended thread's connection is back


@pytest.mark.postgres
def test_another_apps_engine_gets_its_own_kept_connection(app, pg_database_url, tmp_path):
    """Tests make an app (and an engine) each: the connection kept for the last one is given
    back, not used on the new one's database."""
    from planet.dbutil import read_only_connection
    from tests.conftest import make_test_app

    with read_only_connection() as connection:
        old = connection
    other = make_test_app(pg_database_url, tmp_path / "other")
    try:
        with other.app_context():
            with read_only_connection() as connection:
                assert connection.engine.pool is db.engine.pool
                assert connection is not old
            assert old.closed
            with read_only_connection() as again:
                assert again is connection
    finally:
        with other.app_context():
            db.engine.dispose()
    with read_only_connection() as connection:
        assert connection.engine.pool is db.engine.pool and not connection.closed


@pytest.mark.parametrize("database", ["default", pytest.param("pg", marks=pytest.mark.postgres)])
def test_all_rows_gives_what_the_orm_execution_gives(app, database, query_counter):
    """The lists' selects through the driver: every row, by name and by position, with the
    columns' processors, a LIMIT rendered from its literal-execute parameter and the values
    the statement binds itself (`.limit(2)`, `> 0`)."""
    from sqlalchemy import Integer, bindparam

    from planet.dbutil import _driver_form, _literals, all_rows
    from planet.planets.models import Membership, MembershipStatus

    owner = factories.user("owner@example.com")
    planet = factories.planet(owner, slug="rows")
    members = [factories.user(f"m{n}@example.com") for n in range(4)]
    for member in members:
        factories.member(planet, member)
    db.session.commit()
    dialect = db.engine.dialect
    base = (
        select(Membership.id, Membership.status, Membership.expires_at,
               User.display_name.label("name"))
        .join(User, User.id == Membership.user_id)
        .where(Membership.planet_id == bindparam("planet_id", type_=Integer),
               Membership.user_id > 0,
               among_ids(Membership.user_id, "ids", dialect.name))
        .order_by(Membership.id)
    )  # fmt: skip
    limited = base.limit(bindparam("limit", type_=Integer, literal_execute=True))
    fixed = base.limit(2)
    params = {"planet_id": planet.id, "ids": [m.id for m in members[1:]]}
    with db.engine.connect() as connection:
        for statement, extra, count in ((limited, {"limit": 2}, 2), (limited, {"limit": 3}, 3),
                                        (fixed, {}, 2), (base, {}, 3)):  # fmt: skip
            expected = connection.execute(statement, params | extra).all()
            with query_counter() as counter:
                rows = all_rows(connection, statement, params | extra)
            assert counter.count == 1 and len(rows) == count
            assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
            assert [row.name for row in rows] == [row.name for row in expected]
            assert rows[0].status is MembershipStatus.ACTIVE and rows[0]._fields[3] == "name"
        missing = all_rows(connection, limited, {**params, "planet_id": -1, "limit": 2})
    assert missing == []
    driver = _driver_form(limited, dialect, _literals(limited, dialect, {"limit": 3}))
    if dialect.name == "postgresql":
        assert driver.sql.rstrip().endswith("LIMIT 3") and driver.literals == {"limit"}
    # A limit that is not a plain integer is never rendered into the SQL.
    assert _driver_form(limited, dialect, (("limit", "3; DROP TABLE users"),)) is None


@pytest.mark.parametrize("database", ["default", pytest.param("pg", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("viewer_owns_it", [False, True])
def test_a_reader_loaded_in_core_joins_the_orm_session(app, database, viewer_owns_it):
    """A rendered reading page's viewer, planet and membership come from one Core row
    (planet/planets/lookup.py `load_reader`) and are the session's own persistent instances
    with every column, the owner set (the viewer's instance when they own it): a lazy
    relationship loads, and the session has nothing to flush."""
    from flask import g
    from sqlalchemy import inspect

    from planet.accounts.models import AuthSession
    from planet.content.views.common import _reader_statement
    from planet.planets import lookup

    owner = factories.user("owner@example.com")
    planet = factories.planet(owner, slug="rows")
    member = owner if viewer_owns_it else factories.user("member@example.com")
    if not viewer_owns_it:
        factories.member(planet, member)
    db.session.add(AuthSession(key="k" * 32, user_id=member.id))
    db.session.commit()
    member_id, owner_id, email = member.id, owner.id, member.email
    db.session.remove()
    with app.test_request_context("/p/rows/"):
        from flask import session as browser_session
        from flask_login import current_user

        browser_session["_user_id"] = "k" * 32
        extra = lookup.load_reader(_reader_statement(db.engine.dialect.name), "rows",
                                   topic_ids=[], comment_ids=[])  # fmt: skip
        assert extra == [False]
        slug, loaded, membership = g.planet_preloaded
        session = db.session()
        for instance in (loaded, membership, loaded.owner):
            state = inspect(instance)
            assert state.persistent and state.session_id == session.hash_key
            assert not state.expired_attributes and not state.modified
        assert loaded.owner.id == owner_id and membership.user_id == member_id
        viewer = current_user._get_current_object()
        assert inspect(viewer).persistent and viewer.id == member_id and viewer.email == email
        assert viewer.current_auth_session.key == "k" * 32
        assert (loaded.owner is viewer) == viewer_owns_it
        assert list(loaded.tags) == []  # a lazy relationship loads through the session
        assert not session.dirty and not session.new


def test_loaded_into_fills_the_instance_already_in_the_session(app, query_counter):
    """As a query's load would: an instance already in the session keeps its unsaved change,
    gets its expired columns from the row (no statement to refresh it), and stays the one."""
    from sqlalchemy import inspect

    from planet.dbutil import loaded_into

    user = factories.user("ada@example.com", name="Ada")
    db.session.commit()
    values = {"id": user.id, "display_name": "Ada L.", "email": "ada@example.com"}
    db.session.expire(user, ["display_name"])  # as a commit or refresh leaves it
    with query_counter() as counter:
        assert loaded_into(db.session, User, values) is user
        assert user.display_name == "Ada L." and user.email == "ada@example.com"
    assert counter.count == 0 and "display_name" not in inspect(user).expired_attributes
    user.display_name = "Changed"
    loaded_into(db.session, User, values)
    assert user.display_name == "Changed" and inspect(user).modified


@pytest.mark.parametrize("database", ["default", pytest.param("pg", marks=pytest.mark.postgres)])
def test_all_rows_binds_a_repeated_name_once_and_keeps_a_percent_sign(app, database):
    """The driver's SQL numbers each parameter once (`$1` twice for a name used twice), and a
    `%` in the statement's text reaches the server as itself."""
    from sqlalchemy import String, bindparam, literal_column, or_

    from planet.dbutil import all_rows

    users = [factories.user(f"pct{n}@example.com", name=f"50% off {n}") for n in range(3)]
    factories.user("plain@example.com", name="plain")
    db.session.commit()
    wanted = bindparam("wanted", type_=String)
    statement = (
        select(User.id, User.display_name, literal_column("'100%'").label("mark"))
        .where(or_(User.display_name == wanted, User.email == wanted,
                   User.display_name.like(literal_column("'%\\% off%'"), escape="\\")))
        .order_by(User.id)
    )  # fmt: skip
    with db.engine.connect() as connection:
        expected = connection.execute(statement, {"wanted": "plain"}).all()
        rows = all_rows(connection, statement, {"wanted": "plain"})
    assert [tuple(row) for row in rows] == [tuple(row) for row in expected]
    assert [row.id for row in rows] == sorted([u.id for u in users] + [rows[-1].id])
    assert {row.mark for row in rows} == {"100%"} and len(rows) == 4


@pytest.mark.postgres
def test_postgresql_sessions_speak_utc_whatever_the_server_says(pg_database_url):
    """Timestamps come back in `datetime.UTC` with nothing converting them: UTCDateTime has no
    result processor on PostgreSQL, so a session in another time zone would show through."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from planet.models import UTCDateTime

    engine = sa.create_engine(
        pg_database_url, connect_args={"options": "-c TimeZone=Asia/Shanghai"}
    )
    instant = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    try:
        # Two connections at once: the second one is a new connection from the same engine.
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert connection.exec_driver_sql("SHOW TimeZone").scalar() == "UTC"
            value = second.execute(
                select(sa.cast(sa.literal(instant, UTCDateTime()), UTCDateTime()))
            ).scalar()
    finally:
        engine.dispose()
    assert value == instant and value.tzinfo is UTC


def test_the_utc_option_is_added_once_to_the_engines_parameters():
    """SQLAlchemy passes the engine's one parameter dict to every new connection."""
    from sqlalchemy.dialects import postgresql, sqlite

    from planet.dbutil import _sessions_in_utc

    params = {"options": "-c statement_timeout=5s"}
    for _ in range(3):
        _sessions_in_utc(postgresql.dialect(), None, [], params)
    assert params["options"] == "-c statement_timeout=5s -c TimeZone=UTC"
    other = {}
    _sessions_in_utc(sqlite.dialect(), None, [], other)
    assert other == {}
