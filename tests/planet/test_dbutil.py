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
