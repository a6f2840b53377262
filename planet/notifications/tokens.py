"""Signed one-click unsubscribe tokens (no login needed; they never expire, only unsubscribe)."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "planet-digest-unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id: int, planet_id: int) -> str:
    return _serializer().dumps([user_id, planet_id])


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return None
    return value[0], value[1]
