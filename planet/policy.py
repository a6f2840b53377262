"""The one access policy (DESIGN principle 1).

Every "may this user do this here?" in Planet is answered by `decide()`, from the user's role in
the planet, their membership state and the planet's settings, with a reason when the answer is no.
Views call `require()`, templates call `can()`, feeds, search, digests and notifications call
`decide()`/`may()`. Nothing else compares roles or membership states.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import abort, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet.extensions import db
from planet.members import entitlement
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, PostingPolicy, Role


class Action(enum.StrEnum):
    # Visitors
    VIEW_LANDING = "view_landing"
    JOIN = "join"
    RENEW = "renew"  # pay for another year (members, expired members)
    # Reading (timeline, topic pages, answers, comments, search, tags, authors, files, feeds)
    READ = "read"
    READ_TOPIC = "read_topic"  # target: Topic
    DOWNLOAD_ATTACHMENT = "download_attachment"  # target: Attachment (topic preloaded if any)
    # Writing
    POST_TOPIC = "post_topic"
    ASK_QUESTION = "ask_question"  # target: Membership of the one asked (optional)
    ANSWER_QUESTION = "answer_question"  # target: Topic (a question)
    COMMENT = "comment"  # target: Topic
    LIKE = "like"  # target: Topic (optional)
    REPORT = "report"  # target: anything with author_id
    EDIT_CONTENT = "edit_content"  # target: anything with author_id
    DELETE_CONTENT = "delete_content"  # target: anything with author_id
    # Moderation
    FEATURE_TOPIC = "feature_topic"  # essence and pin
    MODERATE = "moderate"  # report queue
    ANNOUNCE = "announce"  # @all
    # Members
    VIEW_ROSTER = "view_roster"
    SEND_MESSAGE = "send_message"  # target: recipient's Membership in this planet
    LEAVE = "leave"
    REMOVE_MEMBER = "remove_member"  # target: Membership
    BAN_MEMBER = "ban_member"  # target: Membership
    MANAGE_ROLES = "manage_roles"  # target: Membership (optional)
    # Planet and money
    EDIT_SETTINGS = "edit_settings"
    DISSOLVE = "dissolve"
    VIEW_INCOME = "view_income"
    MANAGE_MONEY = "manage_money"  # prices, coupons, partners, refunding others
    # Community life
    WRITE_INTRODUCTION = "write_introduction"
    VIEW_DIRECTORY = "view_directory"
    VIEW_CONTACTS = "view_contacts"
    MANAGE_CHALLENGES = "manage_challenges"
    CHECK_IN = "check_in"
    POST_HOMEWORK = "post_homework"
    SUBMIT_HOMEWORK = "submit_homework"
    GRADE_HOMEWORK = "grade_homework"
    MANAGE_EVENTS = "manage_events"
    RSVP = "rsvp"
    CREATE_POLL = "create_poll"
    VOTE = "vote"
    RUN_LOTTERY = "run_lottery"
    VIEW_HEALTH = "view_health"


class MemberState(enum.StrEnum):
    """A person's effective standing in a planet at one instant."""

    ANONYMOUS = "anonymous"
    NONE = "none"  # signed in, never joined, left or removed
    ACTIVE = "active"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    BANNED = "banned"


@dataclass(frozen=True)
class Standing:
    user_id: int | None
    state: MemberState
    role: Role | None = None
    membership: Membership | None = None
    in_grace: bool = False
    is_trial: bool = False

    @property
    def active(self) -> bool:
        return self.state is MemberState.ACTIVE

    def has_role(self, *roles: Role) -> bool:
        """Roles count only while the membership is active."""
        return self.active and self.role in roles


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""
    status: int = 403

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def deny(reason, status: int = 403) -> Decision:
    return Decision(False, reason, status)


# ---------------------------------------------------------------- standing


def membership_state(membership: Membership | None, now: datetime) -> tuple[MemberState, bool]:
    """Return (state, in_grace) for a membership row at `now`. The entitlement check."""
    if membership is None:
        return MemberState.NONE, False
    status = membership.status
    if status is MembershipStatus.BANNED:
        return MemberState.BANNED, False
    if status is MembershipStatus.REFUNDED:
        return MemberState.REFUNDED, False
    if status is MembershipStatus.EXPIRED:
        return MemberState.EXPIRED, False
    if status is not MembershipStatus.ACTIVE:
        return MemberState.NONE, False
    if membership.is_entitled_at(now):
        return MemberState.ACTIVE, membership.is_in_grace_at(now)
    return MemberState.EXPIRED, False


def _load_membership(user_id: int, planet_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.planet_id == planet_id, Membership.user_id == user_id)
    )


def standing_of(user, planet: Planet, now: datetime | None = None) -> Standing:
    """The user's standing in the planet, memoised per request (one query per planet)."""
    user = _unproxied(user)
    user_id = getattr(user, "id", None) if user is not None and user.is_authenticated else None
    if user_id is None:
        return _ANONYMOUS
    cache = _request_cache()
    key = (planet.id, user_id)
    if now is None and cache is not None:
        cached = cache.get(key)
        if cached is not None:
            return cached
    membership = _load_membership(user_id, planet.id)
    state, in_grace = membership_state(membership, now or utcnow())
    standing = Standing(
        user_id=user_id,
        state=state,
        role=membership.role if membership else None,
        membership=membership,
        in_grace=in_grace,
        is_trial=bool(membership and membership.is_trial),
    )
    if now is None and cache is not None:
        cache[key] = standing
    return standing


def prime_standings(user, memberships: list[Membership]) -> None:
    """Seed the request cache from memberships already loaded (avoids N queries on lists)."""
    cache = _request_cache()
    if cache is None or not getattr(user, "is_authenticated", False):
        return
    now = utcnow()
    for membership in memberships:
        state, in_grace = membership_state(membership, now)
        cache[(membership.planet_id, user.id)] = Standing(
            user.id, state, membership.role, membership, in_grace, membership.is_trial
        )


def prime_standing(user, planet: Planet, membership: Membership | None) -> None:
    """Seed the request cache with the membership (or its absence) the caller just read
    together with the planet, saving `standing_of` its own query."""
    cache = _request_cache()
    if cache is None or not getattr(user, "is_authenticated", False):
        return
    state, in_grace = membership_state(membership, utcnow())
    cache[(planet.id, user.id)] = Standing(
        user_id=user.id,
        state=state,
        role=membership.role if membership else None,
        membership=membership,
        in_grace=in_grace,
        is_trial=bool(membership and membership.is_trial),
    )


def forget_standing(planet_id: int, user_id: int) -> None:
    """Drop a cached standing after a service changed the membership in this request."""
    cache = _request_cache()
    if cache is not None:
        cache.pop((planet_id, user_id), None)


def _request_cache() -> dict | None:
    if not has_request_context():
        return None
    try:
        return g.planet_standings
    except AttributeError:
        g.planet_standings = {}
        return g.planet_standings


def _unproxied(user):
    """The user behind `current_user`: a page asks the policy dozens of times, and every
    attribute read through the proxy goes through Flask-Login's lookup again."""
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


_ANONYMOUS = Standing(None, MemberState.ANONYMOUS)


# ---------------------------------------------------------------- named rules


@dataclass(frozen=True)
class Context:
    user: object
    planet: Planet
    standing: Standing
    target: object | None


def _signed_in(ctx: Context) -> Decision:
    if ctx.standing.state is MemberState.ANONYMOUS:
        return deny(_l("Please sign in first."), 401)
    return ALLOW


def _active_member(ctx: Context) -> Decision:
    state = ctx.standing.state
    if state is MemberState.ACTIVE:
        return ALLOW
    reasons = {
        MemberState.ANONYMOUS: (_l("Please sign in and join this planet first."), 401),
        MemberState.NONE: (_l("Only members of this planet can do this. Join it first."), 403),
        MemberState.EXPIRED: (_l("Your membership has expired. Renew it to continue."), 403),
        MemberState.REFUNDED: (_l("Your membership was refunded and has ended."), 403),
        MemberState.BANNED: (_l("You have been banned from this planet."), 403),
    }
    reason, status = reasons[state]
    return deny(reason, status)


def _not_dissolved(ctx: Context) -> Decision:
    if ctx.planet.is_dissolved:
        return deny(_l("This planet has been dissolved and is read-only."))
    return ALLOW


def _role(*roles: Role) -> Callable[[Context], Decision]:
    names = {Role.OWNER: _l("the owner"), Role.ADMIN: _l("admins"), Role.GUEST: _l("guests")}

    def rule(ctx: Context) -> Decision:
        if ctx.standing.has_role(*roles):
            return ALLOW
        allowed = ", ".join(str(names.get(role, role)) for role in roles)
        return deny(_l("Only %(roles)s can do this.", roles=allowed))

    return rule


def _all(*rules: Callable[[Context], Decision]) -> Callable[[Context], Decision]:
    def rule(ctx: Context) -> Decision:
        for part in rules:
            decision = part(ctx)
            if not decision:
                return decision
        return ALLOW

    return rule


def _is_author(ctx: Context) -> bool:
    return getattr(ctx.target, "author_id", None) == ctx.standing.user_id


STAFF = (Role.OWNER, Role.ADMIN, Role.GUEST)
MODERATORS = (Role.OWNER, Role.ADMIN)
_member_writes = _all(_active_member, _not_dissolved)


def _join(ctx: Context) -> Decision:
    decision = _all(_signed_in, _not_dissolved)(ctx)
    if not decision:
        return decision
    if ctx.standing.state is MemberState.BANNED:
        return deny(_l("You have been banned from this planet."))
    if ctx.standing.active:
        return deny(_l("You are already a member of this planet."), 409)
    return ALLOW


def _renew(ctx: Context) -> Decision:
    decision = _all(_signed_in, _not_dissolved)(ctx)
    if not decision:
        return decision
    if ctx.standing.state is MemberState.BANNED:
        return deny(_l("You have been banned from this planet."))
    if ctx.standing.role is Role.OWNER:
        return deny(_l("The owner does not pay for their own planet."), 400)
    if not entitlement.renewable(ctx.standing.membership):
        return deny(_l("Only members can renew. Join the planet instead."), 400)
    return ALLOW


def _read_topic(ctx: Context) -> Decision:
    decision = _active_member(ctx)
    if not decision:
        return decision
    topic = ctx.target
    if topic is None:
        return ALLOW
    if getattr(topic, "deleted_at", None) is not None:
        return deny(_l("This content was deleted."), 404)
    if getattr(topic, "is_question", False) and topic.answered_at is None:
        involved = ctx.standing.user_id in (topic.author_id, topic.addressee_id)
        if not (involved or ctx.standing.has_role(*MODERATORS)):
            return deny(_l("This question has not been answered yet."), 404)
    return ALLOW


def _download(ctx: Context) -> Decision:
    attachment = ctx.target
    if attachment is not None and attachment.planet_id is None:
        return ALLOW  # public files such as avatars
    return _active_member(ctx)


def _post_topic(ctx: Context) -> Decision:
    decision = _member_writes(ctx)
    if not decision:
        return decision
    if ctx.planet.posting_policy is PostingPolicy.MEMBERS or ctx.standing.has_role(*STAFF):
        return ALLOW
    return deny(_l("In this planet only the owner, admins and guests publish topics."))


def _ask_question(ctx: Context) -> Decision:
    decision = _member_writes(ctx)
    if not decision:
        return decision
    if not ctx.planet.questions_enabled:
        return deny(_l("Questions are switched off in this planet."))
    addressee = ctx.target
    if addressee is not None:
        state, _ = membership_state(addressee, utcnow())
        if state is not MemberState.ACTIVE or addressee.role not in (Role.OWNER, Role.GUEST):
            return deny(_l("Questions can only be asked to the owner or a guest."), 400)
        if addressee.user_id == ctx.standing.user_id:
            return deny(_l("You cannot ask yourself a question."), 400)
    return ALLOW


def _answer_question(ctx: Context) -> Decision:
    decision = _member_writes(ctx)
    if not decision:
        return decision
    topic = ctx.target
    if topic is None:  # "may answer questions here at all?" (the Q&A tab's waiting list)
        if ctx.standing.has_role(Role.OWNER, Role.GUEST):
            return ALLOW
        return deny(_l("Questions can only be asked to the owner or a guest."))
    if not topic.is_question or topic.deleted_at is not None:
        return deny(_l("This is not an open question."), 404)
    if topic.addressee_id != ctx.standing.user_id:
        return deny(_l("Only the person asked can answer this question."))
    if topic.answered_at is not None:
        return deny(_l("This question has already been answered."), 409)
    return ALLOW


def _comment(ctx: Context) -> Decision:
    decision = _all(_member_writes, _read_topic)(ctx)
    if not decision:
        return decision
    if not ctx.planet.comments_enabled:
        return deny(_l("Comments are switched off in this planet."))
    return ALLOW


def _report(ctx: Context) -> Decision:
    decision = _active_member(ctx)
    if not decision:
        return decision
    if ctx.target is not None and _is_author(ctx):
        return deny(_l("You cannot report your own content."), 400)
    return ALLOW


def _edit_content(ctx: Context) -> Decision:
    decision = _member_writes(ctx)
    if not decision:
        return decision
    if _is_author(ctx):
        return ALLOW
    return deny(_l("You can only edit what you wrote."))


def _delete_content(ctx: Context) -> Decision:
    decision = _active_member(ctx)
    if not decision:
        return decision
    if _is_author(ctx) or ctx.standing.has_role(*MODERATORS):
        return ALLOW
    return deny(_l("Only the author, the owner or an admin can delete this."))


def _view_roster(ctx: Context) -> Decision:
    decision = _active_member(ctx)
    if not decision:
        return decision
    if ctx.planet.roster_visible or ctx.standing.has_role(*MODERATORS):
        return ALLOW
    return deny(_l("The owner has hidden the member list."))


def _send_message(ctx: Context) -> Decision:
    decision = _member_writes(ctx)
    if not decision:
        return decision
    recipient = ctx.target
    if recipient is not None:
        if recipient.user_id == ctx.standing.user_id:
            return deny(_l("You cannot message yourself."), 400)
        state, _ = membership_state(recipient, utcnow())
        if state is not MemberState.ACTIVE:
            return deny(_l("That person is not a member of this planet."), 404)
    if ctx.planet.private_messages_enabled or ctx.standing.has_role(*MODERATORS):
        return ALLOW
    return deny(_l("The owner has switched off private messages in this planet."))


def _leave(ctx: Context) -> Decision:
    decision = _active_member(ctx)
    if not decision:
        return decision
    if ctx.standing.role is Role.OWNER:
        return deny(_l("The owner cannot leave their own planet."), 400)
    return ALLOW


def _act_on_member(ban: bool) -> Callable[[Context], Decision]:
    def rule(ctx: Context) -> Decision:
        decision = _all(_not_dissolved, _role(Role.OWNER) if ban else _role(*MODERATORS))(ctx)
        if not decision:
            return decision
        target = ctx.target
        if target is None:
            return ALLOW
        if target.user_id == ctx.standing.user_id:
            return deny(_l("You cannot do this to yourself."), 400)
        if target.role is Role.OWNER:
            return deny(_l("The owner cannot be removed."))
        if target.role is Role.ADMIN and ctx.standing.role is not Role.OWNER:
            return deny(_l("Only the owner can remove an admin."))
        return ALLOW

    return rule


def _manage_roles(ctx: Context) -> Decision:
    decision = _owner_writes(Role.OWNER)(ctx)
    if not decision:
        return decision
    target = ctx.target
    if target is not None:
        if target.role is Role.OWNER:
            return deny(_l("The owner role cannot be given or taken here."))
        if membership_state(target, utcnow())[0] is not MemberState.ACTIVE:
            return deny(_l("Only active members can be given a role."), 409)
    return ALLOW


def _view_directory(ctx: Context) -> Decision:
    if ctx.standing.active:
        decision = _view_roster(ctx)
        if decision or not ctx.planet.public_directory:
            return decision
        return ALLOW  # roster hidden but directory public: members see what visitors see
    if ctx.planet.public_directory and ctx.standing.state is not MemberState.BANNED:
        return ALLOW
    return _active_member(ctx)


def _view_contacts(ctx: Context) -> Decision:
    return _view_roster(ctx)


def _vote(ctx: Context) -> Decision:
    return _member_writes(ctx)


def _owner_writes(*roles: Role) -> Callable[[Context], Decision]:
    return _all(_not_dissolved, _role(*roles))


RULES: dict[Action, Callable[[Context], Decision]] = {
    Action.VIEW_LANDING: lambda ctx: ALLOW,
    Action.JOIN: _join,
    Action.RENEW: _renew,
    Action.READ: _active_member,
    Action.READ_TOPIC: _read_topic,
    Action.DOWNLOAD_ATTACHMENT: _download,
    Action.POST_TOPIC: _post_topic,
    Action.ASK_QUESTION: _ask_question,
    Action.ANSWER_QUESTION: _answer_question,
    Action.COMMENT: _comment,
    Action.LIKE: _all(_member_writes, _read_topic),
    Action.REPORT: _report,
    Action.EDIT_CONTENT: _edit_content,
    Action.DELETE_CONTENT: _delete_content,
    Action.FEATURE_TOPIC: _all(_not_dissolved, _role(*MODERATORS)),
    Action.MODERATE: _role(*MODERATORS),
    Action.ANNOUNCE: _owner_writes(Role.OWNER),
    Action.VIEW_ROSTER: _view_roster,
    Action.SEND_MESSAGE: _send_message,
    Action.LEAVE: _leave,
    Action.REMOVE_MEMBER: _act_on_member(ban=False),
    Action.BAN_MEMBER: _act_on_member(ban=True),
    Action.MANAGE_ROLES: _manage_roles,  # target: Membership (optional)
    Action.EDIT_SETTINGS: _owner_writes(Role.OWNER),
    Action.DISSOLVE: _owner_writes(Role.OWNER),
    Action.VIEW_INCOME: _role(Role.OWNER),
    Action.MANAGE_MONEY: _role(Role.OWNER),
    Action.WRITE_INTRODUCTION: _member_writes,
    Action.VIEW_DIRECTORY: _view_directory,
    Action.VIEW_CONTACTS: _view_contacts,
    Action.MANAGE_CHALLENGES: _owner_writes(*MODERATORS),
    Action.CHECK_IN: _member_writes,
    Action.POST_HOMEWORK: _owner_writes(Role.OWNER, Role.GUEST),
    Action.SUBMIT_HOMEWORK: _member_writes,
    Action.GRADE_HOMEWORK: _owner_writes(Role.OWNER, Role.GUEST),
    Action.MANAGE_EVENTS: _owner_writes(*MODERATORS),
    Action.RSVP: _member_writes,
    Action.CREATE_POLL: _owner_writes(*STAFF),
    Action.VOTE: _vote,
    Action.RUN_LOTTERY: _owner_writes(*MODERATORS),
    Action.VIEW_HEALTH: _role(Role.OWNER),
}


# ---------------------------------------------------------------- the public API


def decide(user, action: Action, planet: Planet, target=None, now: datetime | None = None):
    """May `user` do `action` in `planet` (on `target`)? Always returns a Decision with a reason."""
    if has_request_context():
        g.planet_gated = True  # the response depends on who asks: never cache it publicly
    user = _unproxied(user)
    standing = standing_of(user, planet, now)
    return RULES[action](Context(user, planet, standing, target))


def standing_from_membership(user, membership: Membership | None, now: datetime) -> Standing:
    """A standing from a membership row already loaded (batch jobs: digests, notifications)."""
    if membership is None:
        return Standing(user.id, MemberState.NONE)
    state, in_grace = membership_state(membership, now)
    return Standing(user.id, state, membership.role, membership, in_grace, membership.is_trial)


def decide_with_standing(
    standing: Standing, user, action: Action, planet: Planet, target=None
) -> Decision:
    """Like `decide`, for a standing computed once (e.g. one member across many digest items)."""
    return RULES[action](Context(user, planet, standing, target))


def may(user, action: Action, planet: Planet, target=None, now: datetime | None = None) -> bool:
    return decide(user, action, planet, target, now).allowed


def require(user, action: Action, planet: Planet, target=None) -> None:
    """Abort the request with the policy's status and reason unless allowed."""
    decision = decide(user, action, planet, target)
    if not decision:
        abort(decision.status, description=str(decision.reason))


def staff_candidates(planet_id: int) -> list[Membership]:
    """Active memberships holding a staff role: candidates for staff notifications.

    A prefilter only; callers still ask `decide()` for the action at hand.
    """
    return list(
        db.session.scalars(
            select(Membership).where(
                Membership.planet_id == planet_id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role.in_(STAFF),
            )
        )
    )


def is_platform_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_platform_admin)
