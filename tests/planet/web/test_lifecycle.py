"""The request lifecycle's answers: an unexpected error is a 500 page (not a traceback), whatever
the mode, and each request starts with its own `g`."""

from __future__ import annotations

import pytest
from flask import g
from sqlalchemy import func, select

from planet.accounts.models import User
from planet.extensions import db
from tests.conftest import make_test_app


@pytest.fixture
def served_app(database_url, tmp_path):
    """An app as served (exceptions are not propagated to the caller), with a failing route."""
    app = make_test_app(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False)

    @app.post("/_test/boom")
    def boom():
        db.session.add(User(email="half@example.com", display_name="Half", password_hash="x"))
        db.session.flush()
        raise RuntimeError("a bug")

    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_an_unexpected_error_is_a_500_page_and_nothing_is_written(served_app):
    client = served_app.test_client()
    html = client.post("/_test/boom")
    assert html.status_code == 500 and "text/html" in html.content_type
    assert "a bug" not in html.get_data(as_text=True)  # no traceback for the visitor
    answer = client.post("/_test/boom", headers={"Accept": "application/json"})
    assert answer.status_code == 500 and answer.json["error"] == 500
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_in_testing_the_error_reaches_the_test(app, client):
    @app.get("/_test/raise")  # registered late: only for this test's app
    def _raise():
        raise RuntimeError("visible to the test")

    with pytest.raises(RuntimeError, match="visible to the test"):
        client.get("/_test/raise")


def test_a_request_does_not_see_the_previous_requests_user(app, client, make, login_as):
    """The test holds one app context for the whole test; each request still authenticates
    from its own cookies (tests/conftest.py's client starts every request with an empty `g`)."""
    login_as(make.user(name="Someone"))
    assert client.get("/me/notifications").status_code == 200
    anonymous = app.test_client()
    response = anonymous.get("/me/notifications")
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    g.leftover = "from the test"
    client.get("/me/notifications")
    assert "leftover" not in g
