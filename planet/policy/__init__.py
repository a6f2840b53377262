"""The one access policy (DESIGN principle 1).

Every "may this user do this here?" in Planet is answered by `decide()`, from the user's role in
the planet, their membership state and the planet's settings, with a reason when the answer is no.
Views call `require()`, templates call `can()`, feeds, search, digests and notifications call
`decide()`/`may()`. Nothing else compares roles or membership states.
"""

from __future__ import annotations

from datetime import datetime

from flask import g, has_request_context

from planet.errors import Refused
from planet.models import utcnow
from planet.planets.models import Membership, Planet
from planet.policy.core import (  # noqa: F401 - the policy's public vocabulary
    ALLOW,
    MODERATORS,
    STAFF,
    Action,
    Context,
    Decision,
    MemberState,
    Standing,
    _standing,
    _unproxied,
    deny,
    each_allowed,
    forget_standing,
    membership_state,
    prime_standing,
    prime_standings,
    standing_of,
)
from planet.policy.rules import RULES, AnswerAccess, Recipient  # noqa: F401


def decide(user, action: Action, planet: Planet, target=None, now: datetime | None = None):
    """May `user` do `action` in `planet` (on `target`)? Always returns a Decision with a reason."""
    user, standing = _asking(user, planet, now)
    return RULES[action](Context(user, planet, standing, target))


def _asking(user, planet: Planet, now: datetime | None = None) -> tuple[object, Standing]:
    """The person behind `user` and their standing, for a question to the rules."""
    if has_request_context():
        g.planet_gated = True  # the response depends on who asks: never cache it publicly
    user = _unproxied(user)
    return user, standing_of(user, planet, now)


def standing_from_membership(user, membership: Membership | None, now: datetime) -> Standing:
    """A standing from a membership row already loaded (batch jobs: digests, notifications)."""
    return _standing(user.id, membership, now)


def decide_with_standing(standing: Standing, user, action: Action, planet: Planet, target=None):
    """Like `decide`, for a standing computed once (e.g. one member across many digest items)."""
    return RULES[action](Context(user, planet, standing, target))


def allowed_each(user, action: Action, planet: Planet, targets) -> list[bool]:
    """`may` for each of `targets` (a page's items), the parts of the rule that read only the
    person's standing and the planet decided once (core.each_allowed)."""
    user, standing = _asking(user, planet)
    check = each_allowed(RULES[action], user, planet, standing)
    return [check(target) for target in targets]


def may(user, action: Action, planet: Planet, target=None, now: datetime | None = None) -> bool:
    return decide(user, action, planet, target, now).allowed


def require(user, action: Action, planet: Planet, target=None) -> None:
    """Raise Refused (a ServiceError with the policy's status and reason) unless allowed."""
    decision = decide(user, action, planet, target)
    if not decision:
        raise Refused(decision)


def standing_class(user, planet: Planet) -> tuple:
    """Everything about the viewer that the rules read apart from who they are: two viewers
    of one class are allowed the same things on every item they did not write and were not
    asked (the member page cache shares a page within a class; planet/web/pagecache.py)."""
    user = _unproxied(user)
    standing = standing_of(user, planet)
    role = standing.role.value if standing.role is not None else None
    muted_until = getattr(standing.membership, "muted_until", None)
    return (
        standing.state.value,
        role,
        standing.in_grace,
        standing.is_trial,
        muted_until is not None and muted_until > utcnow(),
        is_platform_admin(user),
    )


def is_platform_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_platform_admin)
