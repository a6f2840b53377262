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


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (upgrade at login)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problem(password: str, *, personal: tuple[str, ...] = ()) -> str | None:
    """Why a new password is refused, or None. Returns a message id for gettext.

    `personal` holds the account's own words (email, display name): a password equal to one of
    them, or to the email's local part, is refused as too guessable.
    """
    if len(password) < MIN_LENGTH:
        return "too_short"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        return "too_common"
    for word in personal:
        word = (word or "").strip().lower()
        if word and lowered in {word, word.split("@")[0]}:
            return "too_common"
    return None
