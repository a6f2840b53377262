"""Referral codes: the `?ref=` of a member's share link, signed so that it cannot be edited.

A code names one member in one planet and is signed with the app's SECRET_KEY. An edited,
truncated or foreign code (another planet's, another id) names nobody: it is ignored, never an
error. Whether the member named still earns a commission (an active member who is not the buyer)
is the money side's question (`payments.pricing.eligible_referrer`).

The code travels in the URL from the landing page to the checkout page, in the checkout form to
the stored payment (`Payment.referrer_id`); this browser's session also keeps the last valid code
per planet, so a visitor who comes back later without the link is still attributed.
"""

from __future__ import annotations

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeSerializer

from planet.web.forms import id_or_none

SALT = "planet.members.referral"
CODE_MAX = 100
"""Longer than any code we make; a longer value is not even checked."""
_SESSION_KEY = "referral"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def referral_code(planet_id: int, user_id: int) -> str:
    """The code of `user_id`'s share link to `planet_id`."""
    return _serializer().dumps([planet_id, user_id])


def referrer_in(planet_id: int, code) -> int | None:
    """The member a code names for this planet, or None for a missing or tampered code."""
    if not isinstance(code, str) or not code or len(code) > CODE_MAX:
        return None
    try:
        value = _serializer().loads(code)
    except (BadSignature, UnicodeError, ValueError):
        return None
    if not isinstance(value, list) or len(value) != 2 or value[0] != planet_id:
        return None
    if isinstance(value[1], bool):
        return None
    return id_or_none(value[1])


def valid_code(planet_id: int, code) -> str | None:
    """`code` when it is a genuine code for this planet, else None."""
    return code if referrer_in(planet_id, code) is not None else None


def remember(planet_id: int, code: str | None) -> None:
    """Keep a genuine code in this browser's session (the last one wins)."""
    if valid_code(planet_id, code):
        session[_SESSION_KEY] = [planet_id, code]


def remembered(planet_id: int) -> str | None:
    """The code this browser last arrived with for this planet, if any."""
    value = session.get(_SESSION_KEY)
    if isinstance(value, list) and len(value) == 2 and value[0] == planet_id:
        return valid_code(planet_id, value[1])
    return None


def code_for_request(planet_id: int, given) -> str | None:
    """The code of a page request: the one in the URL when genuine, else the remembered one."""
    return valid_code(planet_id, given) or remembered(planet_id)
