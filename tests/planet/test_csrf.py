"""Every state-changing route refuses a request without a valid CSRF token.

The test walks the app's URL map, so a route added later cannot be forgotten. The payment
webhook is the only exemption (it is authenticated by its signature instead).
"""

import pytest

from planet.extensions import db
from tests.conftest import login

CSRF_EXEMPT_ENDPOINTS = {"payments.webhook"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _sample_value(converter) -> str:
    from werkzeug.routing import FloatConverter, IntegerConverter

    return "1" if isinstance(converter, IntegerConverter | FloatConverter) else "sample"


def _state_changing_rules(app):
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & STATE_CHANGING
        if methods and rule.endpoint not in CSRF_EXEMPT_ENDPOINTS:
            yield rule, sorted(methods)


def _build_path(rule) -> str:
    values = {
        arg: _sample_value(rule._converters[arg])
        for arg in rule.arguments
        if arg in rule._converters
    }
    values.update(rule.defaults or {})
    return rule.build(values, append_unknown=False)[1]


def test_there_are_state_changing_routes_to_check(app):
    assert len(list(_state_changing_rules(app))) >= 2


def test_every_state_changing_route_requires_a_csrf_token(app, make):
    user = make.user()
    tables_before = {t.name: _row_count(t) for t in db.metadata.sorted_tables}
    failures = []
    for signed_in in (False, True):
        client = app.test_client()
        if signed_in:
            login(client, user)
        for rule, methods in _state_changing_rules(app):
            path = _build_path(rule)
            for method in methods:
                response = client.open(path, method=method, data={"anything": "x"})
                if response.status_code != 400:
                    failures.append(f"{method} {path} ({rule.endpoint}): {response.status_code}")
    assert not failures, "routes that did not refuse a missing CSRF token:\n" + "\n".join(failures)
    # Only the login sessions made by the test itself were written.
    tables_after = {t.name: _row_count(t) for t in db.metadata.sorted_tables}
    changed = {name for name in tables_after if tables_after[name] != tables_before[name]} - {
        "auth_sessions"
    }
    assert not changed


def test_a_valid_token_is_accepted(app, make):
    client = app.test_client()
    page = client.get("/discover")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/language", data={"lang": "en", "csrf_token": token})
    assert response.status_code == 302


def _row_count(table) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(table)).scalar_one()


def test_wrong_method_is_a_405_page_with_allow_header(client):
    response = client.get("/accounts/logout", headers={"Accept": "text/html"})
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
