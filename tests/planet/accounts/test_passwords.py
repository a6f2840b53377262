"""Password hashing parameters and rules."""

from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters

from planet.accounts import passwords


def test_production_hasher_is_argon2id_with_memory_hard_parameters(monkeypatch):
    monkeypatch.undo()  # the module's own hasher, not the quick one of the other tests
    stored = passwords.hash_password("correct horse battery")
    params = extract_parameters(stored)
    assert params.type is Type.ID
    assert params.memory_cost >= 19 * 1024  # OWASP: at least 19 MiB
    assert params.time_cost >= 2


def test_hash_and_verify(app):
    stored = passwords.hash_password("correct horse battery")
    assert extract_parameters(stored).type is Type.ID
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")
    assert not passwords.verify_password("not a hash", "x")


def test_needs_rehash_after_parameters_change(monkeypatch):
    stored = passwords.hash_password("correct horse battery")
    assert not passwords.needs_rehash(stored)
    monkeypatch.setattr(passwords, "_hasher", passwords.PasswordHasher(time_cost=5))
    assert passwords.needs_rehash(stored)


@pytest.mark.parametrize(
    "password, problem",
    [
        ("1234567", "too_short"),
        ("PASSWORD123", "too_common"),
        ("woaini1314", "too_common"),
        ("zzzzzzzzzz", "too_common"),
        ("abababababab", "too_common"),
        ("correct horse battery", None),
        ("光明正大的密码口令", None),
    ],
)
def test_password_problem(password, problem):
    assert passwords.password_problem(password) == problem


def test_password_equal_to_the_email_or_name_is_refused():
    personal = ("ada.lovelace@example.com", "Ada Lovelace")
    assert passwords.password_problem("ada.lovelace", personal=personal) == "too_common"
    assert passwords.password_problem("ADA LOVELACE", personal=personal) == "too_common"
    assert passwords.password_problem("ada lovelace 1815", personal=personal) is None
