"""Rate limits (Flask-Limiter, memory storage here; Redis in production) on log-in, sign-up,
password reset and verification resend; the 429 page speaks the user's language."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.planet.accounts.conftest import login, signup


@pytest.fixture
def app_config():
    return {
        "BABEL_DEFAULT_LOCALE": "en",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "3 per minute",
        "SIGNUP_RATE_LIMIT": "2 per minute",
        "ACCOUNT_LOGIN_RATE_LIMIT": "100 per minute",
        "RESET_RATE_LIMIT": "2 per minute",
        "RESET_PER_EMAIL_RATE_LIMIT": "100 per minute",
    }


def test_login_is_limited_per_address(client, make):
    make.user(email="ada@example.com")
    for _ in range(3):
        assert login(client, "ada@example.com", "wrong password").status_code == 401
    response = login(client, "ada@example.com", PASSWORD)  # even the right password now waits
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    assert client.get("/accounts/login").status_code == 200  # only POSTs count


def test_429_page_in_chinese(client, make, zh):
    make.user(email="ada@example.com")
    for _ in range(3):
        login(client, "ada@example.com", "wrong password", headers=zh)
    response = login(client, "ada@example.com", "wrong password", headers=zh)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "尝试次数过多" in page and 'lang="zh-CN"' in page


def test_429_as_json_for_api_clients(client, make):
    make.user(email="ada@example.com")
    for _ in range(3):
        login(client, "ada@example.com", "wrong password")
    response = client.post(
        "/accounts/login",
        data={"email": "ada@example.com", "password": "x"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 429
    assert response.get_json()["error"] == 429


def test_signup_is_limited(client):
    assert signup(client, email="a1@example.com").status_code == 302
    client.post("/accounts/logout")
    assert signup(client, email="a2@example.com").status_code == 302
    client.post("/accounts/logout")
    assert signup(client, email="a3@example.com").status_code == 429


def test_forgot_password_is_limited(client, make):
    make.user(email="ada@example.com")
    for email in ("ada@example.com", "nobody@example.com"):
        response = client.post("/accounts/password/forgot", data={"email": email})
        assert response.status_code == 200
    response = client.post("/accounts/password/forgot", data={"email": "ada@example.com"})
    assert response.status_code == 429


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "BABEL_DEFAULT_LOCALE": "en",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOGIN_RATE_LIMIT": "100 per minute",
            "ACCOUNT_LOGIN_RATE_LIMIT": "3 per 15 minutes",
        }
    ],
)
def test_failed_logins_throttle_the_account_not_everyone(app, make, app_config):
    make.user(email="ada@example.com")
    make.user(email="grace@example.com")
    attacker = app.test_client()
    for _ in range(3):
        assert login(attacker, "ada@example.com", "guess").status_code == 401
    # Ada's account is throttled for failed guesses, from any address...
    assert login(app.test_client(), "ADA@example.com", "guess").status_code == 429
    # ...while other accounts are not, and successful logins do not count.
    for _ in range(4):
        browser = app.test_client()
        assert login(browser, "grace@example.com").status_code == 302


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "BABEL_DEFAULT_LOCALE": "en",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RESET_RATE_LIMIT": "100 per minute",
            "RESET_PER_EMAIL_RATE_LIMIT": "2 per hour",
        }
    ],
)
def test_reset_mails_per_address_are_limited(app, make, smtp_catcher, app_config):
    make.user(email="ada@example.com")
    for _ in range(2):
        app.test_client().post("/accounts/password/forgot", data={"email": "ada@example.com"})
    third = app.test_client().post("/accounts/password/forgot", data={"email": "ada@example.com"})
    assert third.status_code == 429
    assert len(smtp_catcher.messages) == 2
