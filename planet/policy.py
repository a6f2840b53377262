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

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet.errors import Refused
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
    SEND_MESSAGE = "send_message"  # target: recipient's Membership, or a Recipient
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

_ENDED = {
    MembershipStatus.BANNED: MemberState.BANNED,
    MembershipStatus.REFUNDED: MemberState.REFUNDED,
    MembershipStatus.EXPIRED: MemberState.EXPIRED,
}


def membership_state(membership: Membership | None, now: datetime) -> tuple[MemberState, bool]:
    """Return (state, in_grace) for a membership row at `now`. The entitlement check."""
    if membership is None or membership.status is not MembershipStatus.ACTIVE:
        return _ENDED.get(getattr(membership, "status", None), MemberState.NONE), False
    if membership.is_entitled_at(now):
        return MemberState.ACTIVE, membership.is_in_grace_at(now)
    return MemberState.EXPIRED, False


def _standing(user_id: int, membership: Membership | None, now: datetime) -> Standing:
    """A signed-in person's standing from their membership row (or its absence) at `now`."""
    state, in_grace = membership_state(membership, now)
    role = membership.role if membership else None
    is_trial = bool(membership and membership.is_trial)
    return Standing(user_id, state, role, membership, in_grace, is_trial)


def standing_of(user, planet: Planet, now: datetime | None = None) -> Standing:
    """The user's standing in the planet, memoised per request (one query per planet)."""
    user = _unproxied(user)
    user_id = getattr(user, "id", None) if user is not None and user.is_authenticated else None
    if user_id is None:
        return _ANONYMOUS
    cache = _request_cache() if now is None else None
    key = (planet.id, user_id)
    if cache is not None and key in cache:
        return cache[key]
    membership = db.session.scalar(
        select(Membership).where(Membership.planet_id == planet.id, Membership.user_id == user_id)
    )
    standing = _standing(user_id, membership, now or utcnow())
    if cache is not None:
        cache[key] = standing
    return standing


def prime_standings(user, memberships: list[Membership]) -> None:
    """Seed the request cache from memberships already loaded (avoids N queries on lists)."""
    cache = _request_cache()
    if cache is None or not getattr(user, "is_authenticated", False):
        return
    now = utcnow()
    for membership in memberships:
        cache[(membership.planet_id, user.id)] = _standing(user.id, membership, now)


def prime_standing(user, planet: Planet, membership: Membership | None) -> None:
    """Seed the request cache with the membership (or its absence) the caller just read
    together with the planet, saving `standing_of` its own query."""
    cache = _request_cache()
    if cache is not None and getattr(user, "is_authenticated", False):
        cache[(planet.id, user.id)] = _standing(user.id, membership, utcnow())


def forget_standing(planet_id: int, user_id: int) -> None:
    """Drop a cached standing after a service changed the membership in this request."""
    if (cache := _request_cache()) is not None:
        cache.pop((planet_id, user_id), None)


def _request_cache() -> dict | None:
    return g.setdefault("planet_standings", {}) if has_request_context() else None


def _unproxied(user):
    """The user behind `current_user`: a page asks the policy dozens of times, and every
    attribute read through the proxy goes through Flask-Login's lookup again."""
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


_ANONYMOUS = Standing(None, MemberState.ANONYMOUS)


# ---------------------------------------------------------------- named rules, composed
# Small named predicates carry their reasons; All(...) and Any(...) compose them into RULES.


@dataclass(frozen=True)
class Context:
    user: object
    planet: Planet
    standing: Standing
    target: object | None


Rule = Callable[[Context], Decision]


def Check(test: Callable[[Context], bool], reason="", status: int = 403) -> Rule:
    """A named predicate: allowed when `test(ctx)` holds, else refused with `reason`."""
    return lambda ctx: ALLOW if test(ctx) else deny(reason, status)


def OnTarget(test: Callable[[object, Context], bool], reason, status: int = 403) -> Rule:
    """A predicate on the action's target, `test(target, ctx)`; allowed without a target."""
    return Check(lambda ctx: ctx.target is None or test(ctx.target, ctx), reason, status)


def All(*rules: Rule) -> Rule:
    """Allowed when every rule allows; else the first refusal (later rules are not asked)."""
    return lambda ctx: next((d for d in (rule(ctx) for rule in rules) if not d), ALLOW)


def Any(*rules: Rule, reason=None, status: int = 403) -> Rule:
    """Allowed when some rule allows; else refused with `reason`, or as the last rule refuses."""

    def rule(ctx: Context) -> Decision:
        for part in rules:
            if decision := part(ctx):
                return decision
        return decision if reason is None else deny(reason, status)

    return rule


_NOT_ACTIVE = {
    MemberState.ANONYMOUS: (_l("Please sign in and join this planet first."), 401),
    MemberState.NONE: (_l("Only members of this planet can do this. Join it first."), 403),
    MemberState.EXPIRED: (_l("Your membership has expired. Renew it to continue."), 403),
    MemberState.REFUNDED: (_l("Your membership was refunded and has ended."), 403),
    MemberState.BANNED: (_l("You have been banned from this planet."), 403),
}
_ROLE_NAMES = {Role.OWNER: _l("the owner"), Role.ADMIN: _l("admins"), Role.GUEST: _l("guests")}
STAFF = (Role.OWNER, Role.ADMIN, Role.GUEST)
MODERATORS = (Role.OWNER, Role.ADMIN)


def ActiveMember(ctx: Context) -> Decision:
    """An active membership, or the reason the person has none."""
    if ctx.standing.state is MemberState.ACTIVE:
        return ALLOW
    return deny(*_NOT_ACTIVE[ctx.standing.state])


def HasRole(*roles: Role) -> Rule:
    """One of `roles` in an active membership."""

    def rule(ctx: Context) -> Decision:
        if ctx.standing.has_role(*roles):
            return ALLOW
        allowed = ", ".join(str(_ROLE_NAMES.get(role, role)) for role in roles)
        return deny(_l("Only %(roles)s can do this.", roles=allowed))

    return rule


def PlanetSetting(name: str, reason="") -> Rule:
    """The planet's switch `name` is on."""
    return Check(lambda ctx: getattr(ctx.planet, name), reason)


def IsAuthor(reason="") -> Rule:
    """The target is the person's own content."""
    return Check(lambda ctx: getattr(ctx.target, "author_id", None) == ctx.standing.user_id, reason)


def _active_now(membership: Membership) -> bool:
    return membership_state(membership, utcnow())[0] is MemberState.ACTIVE


def _sees_open_question(topic, ctx: Context) -> bool:
    """An unanswered question is for its asker, the one asked and moderators only."""
    if not getattr(topic, "is_question", False) or topic.answered_at is not None:
        return True
    involved = ctx.standing.user_id in (topic.author_id, topic.addressee_id)
    return involved or ctx.standing.has_role(*MODERATORS)


@dataclass(frozen=True)
class Recipient:
    """SEND_MESSAGE's target inside a conversation: the recipient's membership and whether
    they wrote to the sender in this planet (planet/messages/services.py:recipient)."""

    membership: Membership
    wrote_to_sender: bool = False


def _recipient(target) -> Membership:
    return target.membership if isinstance(target, Recipient) else target


def RepliesToStaff(ctx: Context) -> Decision:
    """A reply to an owner or admin who wrote to the person first (with messages off)."""
    to = ctx.target
    staff = isinstance(to, Recipient) and to.membership.role in MODERATORS
    return Decision(staff and to.wrote_to_sender and _active_now(to.membership))


SignedIn = Check(lambda ctx: ctx.standing.state is not MemberState.ANONYMOUS,
                 _l("Please sign in first."), 401)  # fmt: skip
NotDissolved = Check(lambda ctx: not ctx.planet.is_dissolved,
                     _l("This planet has been dissolved and is read-only."))  # fmt: skip
NotBanned = Check(lambda ctx: ctx.standing.state is not MemberState.BANNED,
                  _l("You have been banned from this planet."))  # fmt: skip
PublicFile = Check(lambda ctx: ctx.target is not None and ctx.target.planet_id is None)  # avatars
MemberWrites = All(ActiveMember, NotDissolved)
MayPay = All(SignedIn, NotDissolved, NotBanned)


def RoleWrites(*roles: Role) -> Rule:
    """One of `roles`, in a planet that is not dissolved."""
    return All(NotDissolved, HasRole(*roles))


ReadTopic = All(
    ActiveMember,
    OnTarget(lambda topic, ctx: getattr(topic, "deleted_at", None) is None,
             _l("This content was deleted."), 404),
    OnTarget(_sees_open_question, _l("This question has not been answered yet."), 404),
)  # fmt: skip
ViewRoster = All(
    ActiveMember,
    Any(PlanetSetting("roster_visible"), HasRole(*MODERATORS),
        reason=_l("The owner has hidden the member list.")),
)  # fmt: skip


def ActOnMember(*roles: Role) -> Rule:
    """Remove or ban the target membership: never oneself or the owner; admins by the owner."""
    return All(
        RoleWrites(*roles),
        OnTarget(lambda member, ctx: member.user_id != ctx.standing.user_id,
                 _l("You cannot do this to yourself."), 400),
        OnTarget(lambda member, ctx: member.role is not Role.OWNER,
                 _l("The owner cannot be removed.")),
        OnTarget(lambda member, ctx: member.role is not Role.ADMIN
                 or ctx.standing.role is Role.OWNER, _l("Only the owner can remove an admin.")),
    )  # fmt: skip


RULES: dict[Action, Rule] = {
    Action.VIEW_LANDING: Check(lambda ctx: True),
    Action.JOIN: All(MayPay, Check(lambda ctx: not ctx.standing.active,
                                   _l("You are already a member of this planet."), 409)),
    Action.RENEW: All(
        MayPay,
        Check(lambda ctx: ctx.standing.role is not Role.OWNER,
              _l("The owner does not pay for their own planet."), 400),
        Check(lambda ctx: entitlement.renewable(ctx.standing.membership),
              _l("Only members can renew. Join the planet instead."), 400),
    ),
    Action.READ: ActiveMember,
    Action.READ_TOPIC: ReadTopic,
    Action.DOWNLOAD_ATTACHMENT: Any(PublicFile, ActiveMember),
    Action.POST_TOPIC: All(
        MemberWrites,
        Any(Check(lambda ctx: ctx.planet.posting_policy is PostingPolicy.MEMBERS),
            HasRole(*STAFF),
            reason=_l("In this planet only the owner, admins and guests publish topics.")),
    ),
    Action.ASK_QUESTION: All(  # target: the Membership of the one asked
        MemberWrites,
        PlanetSetting("questions_enabled", _l("Questions are switched off in this planet.")),
        OnTarget(lambda asked, ctx: _active_now(asked) and asked.role in (Role.OWNER, Role.GUEST),
                 _l("Questions can only be asked to the owner or a guest."), 400),
        OnTarget(lambda asked, ctx: asked.user_id != ctx.standing.user_id,
                 _l("You cannot ask yourself a question."), 400),
    ),
    Action.ANSWER_QUESTION: All(
        MemberWrites,
        # Without a target: "may answer questions here at all?" (the Q&A tab's waiting list)
        Any(Check(lambda ctx: ctx.target is not None), HasRole(Role.OWNER, Role.GUEST),
            reason=_l("Questions can only be asked to the owner or a guest.")),
        OnTarget(lambda topic, ctx: topic.is_question and topic.deleted_at is None,
                 _l("This is not an open question."), 404),
        OnTarget(lambda topic, ctx: topic.addressee_id == ctx.standing.user_id,
                 _l("Only the person asked can answer this question.")),
        OnTarget(lambda topic, ctx: topic.answered_at is None,
                 _l("This question has already been answered."), 409),
    ),
    Action.COMMENT: All(MemberWrites, ReadTopic, PlanetSetting(
        "comments_enabled", _l("Comments are switched off in this planet."))),
    Action.LIKE: All(MemberWrites, ReadTopic),
    Action.REPORT: All(ActiveMember, OnTarget(
        lambda item, ctx: getattr(item, "author_id", None) != ctx.standing.user_id,
        _l("You cannot report your own content."), 400)),
    Action.EDIT_CONTENT: All(MemberWrites, IsAuthor(_l("You can only edit what you wrote."))),
    Action.DELETE_CONTENT: All(
        ActiveMember,
        Any(IsAuthor(), HasRole(*MODERATORS),
            reason=_l("Only the author, the owner or an admin can delete this.")),
    ),
    Action.FEATURE_TOPIC: RoleWrites(*MODERATORS),
    Action.MODERATE: HasRole(*MODERATORS),
    Action.ANNOUNCE: RoleWrites(Role.OWNER),
    Action.VIEW_ROSTER: ViewRoster,
    Action.SEND_MESSAGE: All(  # target: the recipient's Membership (or a Recipient)
        MemberWrites,
        OnTarget(lambda to, ctx: _recipient(to).user_id != ctx.standing.user_id,
                 _l("You cannot message yourself."), 400),
        OnTarget(lambda to, ctx: _active_now(_recipient(to)),
                 _l("That person is not a member of this planet."), 404),
        # Messages off: owners and admins still write to members, who may answer them.
        Any(PlanetSetting("private_messages_enabled"), HasRole(*MODERATORS), RepliesToStaff,
            reason=_l("The owner has switched off private messages in this planet.")),
    ),
    Action.LEAVE: All(ActiveMember, Check(lambda ctx: ctx.standing.role is not Role.OWNER,
                                          _l("The owner cannot leave their own planet."), 400)),
    Action.REMOVE_MEMBER: ActOnMember(*MODERATORS),
    Action.BAN_MEMBER: ActOnMember(Role.OWNER),
    Action.MANAGE_ROLES: All(  # target: Membership (optional)
        RoleWrites(Role.OWNER),
        OnTarget(lambda member, ctx: member.role is not Role.OWNER,
                 _l("The owner role cannot be given or taken here.")),
        OnTarget(lambda member, ctx: _active_now(member),
                 _l("Only active members can be given a role."), 409),
    ),
    Action.EDIT_SETTINGS: RoleWrites(Role.OWNER),
    Action.DISSOLVE: RoleWrites(Role.OWNER),
    Action.VIEW_INCOME: HasRole(Role.OWNER),
    Action.MANAGE_MONEY: HasRole(Role.OWNER),
    Action.WRITE_INTRODUCTION: MemberWrites,
    # A public directory shows visitors (not the banned) what members see with a hidden roster.
    Action.VIEW_DIRECTORY: Any(All(PlanetSetting("public_directory"), NotBanned), ViewRoster),
    Action.VIEW_CONTACTS: ViewRoster,
    Action.MANAGE_CHALLENGES: RoleWrites(*MODERATORS),
    Action.CHECK_IN: MemberWrites,
    Action.POST_HOMEWORK: RoleWrites(Role.OWNER, Role.GUEST),
    Action.SUBMIT_HOMEWORK: MemberWrites,
    Action.GRADE_HOMEWORK: RoleWrites(Role.OWNER, Role.GUEST),
    Action.MANAGE_EVENTS: RoleWrites(*MODERATORS),
    Action.RSVP: MemberWrites,
    Action.CREATE_POLL: RoleWrites(*STAFF),
    Action.VOTE: MemberWrites,
    Action.RUN_LOTTERY: RoleWrites(*MODERATORS),
    Action.VIEW_HEALTH: HasRole(Role.OWNER),
}  # fmt: skip


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
    return _standing(user.id, membership, now)


def decide_with_standing(standing: Standing, user, action: Action, planet: Planet, target=None):
    """Like `decide`, for a standing computed once (e.g. one member across many digest items)."""
    return RULES[action](Context(user, planet, standing, target))


def may(user, action: Action, planet: Planet, target=None, now: datetime | None = None) -> bool:
    return decide(user, action, planet, target, now).allowed


def require(user, action: Action, planet: Planet, target=None) -> None:
    """Raise Refused (a ServiceError with the policy's status and reason) unless allowed."""
    decision = decide(user, action, planet, target)
    if not decision:
        raise Refused(decision)


def is_platform_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_platform_admin)
