"""Helpers for the accounts tests: sign up / log in through the real routes."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase"
SIGNUP_PASSWORD = "lovelace engine 1843"


def signup(client, email="ada@example.com", name="Ada", password=SIGNUP_PASSWORD, headers=None):
    return client.post(
        "/accounts/signup",
        data={"email": email, "display_name": name, "password": password},
        headers=headers,
    )


def login(client, email, password=PASSWORD, remember=False, next=None, headers=None):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    if next is not None:
        data["next"] = next
    return client.post("/accounts/login", data=data, headers=headers)


def is_signed_in(client) -> bool:
    response = client.get("/accounts/settings")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def session_key(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch):
    """argon2id with small parameters: the tests hash many passwords on a shared machine.
    (The production parameters are checked in test_passwords.py.)"""
    from argon2 import PasswordHasher

    from planet.accounts import passwords

    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def zh():
    return {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def app_config():
    """English unless a test asks for Chinese (the app's own default is zh)."""
    return {"BABEL_DEFAULT_LOCALE": "en"}
