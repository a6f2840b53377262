"""On PostgreSQL a GET runs in a READ ONLY transaction: the database refuses its writes."""

import pytest
import sqlalchemy as sa
from sqlalchemy import select, text

from planet.accounts.models import User
from planet.extensions import db

pytestmark = pytest.mark.postgres


@pytest.fixture
def routes(app):
    """Two test-only GET routes that misbehave: one writes with SQL, one stages an ORM change."""

    @app.get("/_test/sql-write")
    def sql_write():
        db.session.execute(text("UPDATE users SET bio = 'written by a GET'"))
        return "wrote"

    @app.get("/_test/orm-change/<int:user_id>")
    def orm_change(user_id):
        db.session.get(User, user_id).bio = "changed by a GET"
        return "changed"


def _idle_session():
    """Like a served request's fresh session: no transaction open when the request starts."""
    db.session.commit()
    db.session.close()


def test_a_write_in_a_get_is_refused_by_the_database(app, routes, make, client):
    user_id = make.user().id
    _idle_session()
    with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
        client.get("/_test/sql-write")
    db.session.rollback()
    assert db.session.scalar(select(User.bio).where(User.id == user_id)) == ""


def test_an_orm_change_in_a_get_is_rolled_back(app, routes, make, client):
    user_id = make.user().id
    _idle_session()
    assert client.get(f"/_test/orm-change/{user_id}").status_code == 200
    db.session.close()
    assert db.session.scalar(select(User.bio).where(User.id == user_id)) == ""


def test_a_read_only_get_still_serves_pages(app, make, client):
    make.user()
    _idle_session()
    assert client.get("/healthz").status_code == 200
    assert client.get("/discover").status_code == 200


@pytest.fixture
def probes(app):
    """A GET that reports whether its statements ran inside a transaction, and a POST that
    writes, to run on the same pooled connection after it."""

    @app.get("/_test/transaction-status")
    def transaction_status():
        connection = db.session.connection()
        connection.execute(select(User.id).limit(1)).all()
        status = connection.connection.dbapi_connection.info.transaction_status
        return status.name

    @app.get("/_test/connection-id")
    def connection_id():
        db.session.execute(select(User.id).limit(1)).all()
        return str(id(db.session.connection().connection.dbapi_connection))

    @app.get("/_test/fails-after-a-read")
    def fails_after_a_read():
        db.session.execute(select(User.id).limit(1)).all()
        raise RuntimeError("a view that breaks halfway")

    @app.post("/_test/write-bio/<int:user_id>")
    def write_bio(user_id):
        db.session.execute(sa.update(User).where(User.id == user_id).values(bio="posted"))
        return "written"


def test_a_get_sends_no_begin(app, probes, make, client):
    """Autocommit: a GET's statements run outside any transaction block (no BEGIN/COMMIT)."""
    make.user()
    _idle_session()
    assert client.get("/_test/transaction-status").text == "IDLE"


def test_a_post_after_a_get_on_the_same_connection_writes(app, probes, make, client):
    """The read-only default the GET left on the pooled connection does not refuse a POST:
    psycopg begins its transaction with READ WRITE."""
    user_id = make.user().id
    _idle_session()
    for _ in range(3):  # every pooled connection has served a GET
        assert client.get("/_test/transaction-status").status_code == 200
        assert client.post(f"/_test/write-bio/{user_id}").text == "written"
    db.session.close()
    assert db.session.scalar(select(User.bio).where(User.id == user_id)) == "posted"


def test_gets_run_on_the_threads_kept_connection_without_a_checkout(app, probes, make, client):
    """A safe request's session joins the connection the thread keeps from one request to the
    next: the same one every time, nothing checked out of the pool, still autocommit."""
    make.user()
    _idle_session()
    first = client.get("/_test/connection-id").text
    checkouts = []

    def count(*_):
        checkouts.append(1)

    sa.event.listen(db.engine.pool, "checkout", count)
    try:
        seen = {client.get("/_test/connection-id").text for _ in range(3)}
        assert client.get("/_test/transaction-status").text == "IDLE"
    finally:
        sa.event.remove(db.engine.pool, "checkout", count)
    assert seen == {first}
    assert checkouts == []


def test_a_get_that_fails_gives_the_kept_connection_back(app, routes, probes, make, client):
    """After an error the thread draws a fresh connection (one checkout, then kept again),
    still autocommit and read only by default."""
    make.user()
    _idle_session()
    client.get("/_test/connection-id")
    with pytest.raises(RuntimeError, match="breaks halfway"):
        client.get("/_test/fails-after-a-read")
    checkouts = []

    def count(*_):
        checkouts.append(1)

    sa.event.listen(db.engine.pool, "checkout", count)
    try:
        seen = {client.get("/_test/connection-id").text for _ in range(2)}
        assert client.get("/_test/transaction-status").text == "IDLE"
    finally:
        sa.event.remove(db.engine.pool, "checkout", count)
    assert checkouts == [1] and len(seen) == 1
    with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
        client.get("/_test/sql-write")
