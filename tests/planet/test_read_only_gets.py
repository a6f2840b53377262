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
