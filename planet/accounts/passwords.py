"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_LENGTH = 8
# Common passwords of 8+ characters, from public breach-frequency lists (one per line).
COMMON_PASSWORDS = frozenset(
    (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8").split()
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None. Returns a message id for gettext."""
    if len(password) < MIN_LENGTH:
        return "too_short"
    if password.lower() in COMMON_PASSWORDS:
        return "too_common"
    return None
