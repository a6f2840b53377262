"""Signed, expiring links for email verification and password reset.

Each purpose has its own salt, so a verification token is never accepted as a reset token. A reset
token carries a fingerprint of the password hash: once the password changes (through the link or
otherwise) every earlier reset link stops working. A verification token carries the address it was
sent to.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

VERIFY_EMAIL = "planet.accounts.verify-email"
RESET_PASSWORD = "planet.accounts.reset-password"  # noqa: S105 - a salt name

MAX_AGE_SETTING = {
    VERIFY_EMAIL: "VERIFY_EMAIL_MAX_AGE",
    RESET_PASSWORD: "RESET_PASSWORD_MAX_AGE",
}


def clock() -> float:
    """The clock tokens are stamped and checked with (tests replace it)."""
    return time.time()


class _Signer(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock())


class TokenExpired(Exception):
    pass


class TokenInvalid(Exception):
    pass


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose, signer=_Signer)


def max_age(purpose: str) -> int:
    return int(current_app.config[MAX_AGE_SETTING[purpose]])


def make_token(purpose: str, payload: dict) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str) -> dict:
    """The payload of a valid token; raises TokenExpired or TokenInvalid."""
    serializer = _serializer(purpose)
    try:
        payload = serializer.loads(token, max_age=max_age(purpose))
    except SignatureExpired:
        raise TokenExpired from None
    except BadSignature:
        raise TokenInvalid from None
    if not isinstance(payload, dict):
        raise TokenInvalid
    return payload


def password_fingerprint(password_hash: str) -> str:
    """A short keyed digest of the password hash: changes whenever the password does."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:20]
