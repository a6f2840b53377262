"""The vocabulary of the access policy: actions, member states, standings, decisions, and
the combinators (`Check`, `OnTarget`, `All`, `Any`) that `planet/policy/rules.py` is made of."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role


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
    ASK_PAID_QUESTION = "ask_paid_question"  # target: QuestionOffer of the one asked
    SET_QUESTION_PRICE = "set_question_price"  # the owner or a guest: their own offer
    DECLINE_QUESTION = "decline_question"  # target: Topic (a paid question)
    READ_ANSWER = "read_answer"  # target: AnswerAccess (a private answer and its reader)
    PEEK_ANSWER = "peek_answer"  # target: AnswerAccess (pay to read a private answer)
    COMMENT = "comment"  # target: Topic
    LIKE = "like"  # target: Topic (optional)
    REPORT = "report"  # target: anything with author_id
    EDIT_CONTENT = "edit_content"  # target: anything with author_id
    DELETE_CONTENT = "delete_content"  # target: anything with author_id
    # Moderation
    FEATURE_TOPIC = "feature_topic"  # essence and pin
    MODERATE = "moderate"  # report queue, held posts, sensitive words
    SKIP_REVIEW = "skip_review"  # posts are never held for sensitive words
    REVIEW_APPLICATIONS = "review_applications"  # approve or refuse requests to join
    MUTE_MEMBER = "mute_member"  # target: Membership; a member reads but does not write for N days
    VIEW_AUDIT = "view_audit"  # the planet's moderation audit list
    ANNOUNCE = "announce"  # @all
    # Members
    VIEW_ROSTER = "view_roster"
    SEND_MESSAGE = "send_message"  # target: recipient's Membership, or a Recipient
    LEAVE = "leave"
    REMOVE_MEMBER = "remove_member"  # target: Membership
    BAN_MEMBER = "ban_member"  # target: Membership
    MANAGE_ROLES = "manage_roles"  # target: Membership (optional)
    IMPORT_MEMBERS = "import_members"  # invite people who paid elsewhere
    GRANT_COMP_SEAT = "grant_comp_seat"  # a free membership for a guest, a partner, a prize
    ACCEPT_INVITATION = "accept_invitation"  # a one-time link from an import
    GIVE_GIFT = "give_gift"  # buy a year of the planet for someone else
    JOIN_BY_GIFT = "join_by_gift"  # redeem a gift code
    # Planet and money
    EDIT_SETTINGS = "edit_settings"
    DISSOLVE = "dissolve"
    VIEW_INCOME = "view_income"
    MANAGE_MONEY = "manage_money"  # prices, coupons, partners, refunding others
    SET_WEEKLY_REPORT = "set_weekly_report"  # the day the owner's weekly report is mailed
    VIEW_WIN_BACK = "view_win_back"  # members whose paid time ends soon, with what they did
    WIN_BACK = "win_back"  # remind one of them, or send them a coupon
    VIEW_SEGMENTS = "view_segments"  # members by state and behaviour, and their CSV
    SEND_CAMPAIGN = "send_campaign"  # a message (and a renewal coupon) to a segment
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
    EXPORT_PLANET = "export_planet"
    # Columns (专栏) and drafts
    VIEW_COLUMN = "view_column"  # a column page, its contents and one's reading progress
    MANAGE_COLUMNS = "manage_columns"  # create, edit, fill, reorder and delete columns
    SCHEDULE_POST = "schedule_post"  # save drafts, schedule topics (announcements: ANNOUNCE)
    VIEW_DRAFT = "view_draft"  # target: Draft (the author's; a scheduled announcement: moderators)
    # The FAQ (常见问题): answered questions gathered; moderators promote, summarise and hide
    VIEW_FAQ = "view_faq"
    MANAGE_FAQ = "manage_faq"
    TRACE_LEAK = "trace_leak"  # whose member number is on a leaked screenshot: the owner's
    # The file library: the Files tab, uploading (as topics are published), downloading
    VIEW_FILES = "view_files"
    UPLOAD_FILE = "upload_file"
    DOWNLOAD_FILE = "download_file"  # target: PlanetFile (unlisted: its uploader and moderators)


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


class Context(NamedTuple):
    """One question to the rules (a tuple: a page asks a few hundred of them)."""

    user: object
    planet: Planet
    standing: Standing
    target: object | None


Rule = Callable[[Context], Decision]


def Check(
    test: Callable[[Context], bool], reason="", status: int = 403, *, reads_target: bool = True
) -> Rule:
    """A named predicate: allowed when `test(ctx)` holds, else refused with `reason`.
    `reads_target=False` says the test reads only the person's standing and the planet."""
    refused = deny(reason, status)  # decisions are immutable: one refusal serves every call

    def rule(ctx: Context) -> Decision:
        return ALLOW if test(ctx) else refused

    return rule if reads_target else about_the_viewer(rule)


def about_the_viewer(rule: Rule) -> Rule:
    """Mark `rule` as reading the standing and the planet only, never the target: its answer
    holds for every item of a page (`each_allowed`)."""
    rule.reads_target = False
    return rule


def _reads_target(rule: Rule) -> bool:
    return getattr(rule, "reads_target", True)  # unmarked: asked again for each target


def OnTarget(test: Callable[[object, Context], bool], reason, status: int = 403) -> Rule:
    """A predicate on the action's target, `test(target, ctx)`; allowed without a target."""
    return Check(lambda ctx: ctx.target is None or test(ctx.target, ctx), reason, status)


def All(*rules: Rule) -> Rule:
    """Allowed when every rule allows; else the first refusal (later rules are not asked)."""

    def rule(ctx: Context) -> Decision:
        for part in rules:
            if not (decision := part(ctx)):
                return decision
        return ALLOW

    return _composed(rule, all, rules)


def Any(*rules: Rule, reason=None, status: int = 403) -> Rule:
    """Allowed when some rule allows; else refused with `reason`, or as the last rule refuses."""
    refused = None if reason is None else deny(reason, status)

    def rule(ctx: Context) -> Decision:
        for part in rules:
            if decision := part(ctx):
                return decision
        return decision if refused is None else refused

    return _composed(rule, any, rules)


def _composed(rule, combine, parts: tuple[Rule, ...]) -> Rule:
    rule.combine, rule.parts = combine, parts
    rule.reads_target = any(_reads_target(part) for part in parts)
    return rule


def each_allowed(rule: Rule, user, planet, standing: Standing) -> Callable[[object], bool]:
    """`rule`'s yes or no for one person, as a function of the target: what reads only the
    standing and the planet is decided once, and the target is asked only what remains (a
    page asks about each of its items; `policy.allowed_each`). Same answers as the rule's
    own, since All and Any allow by every and by any part whatever their order."""
    check = _bound(rule, Context(user, planet, standing, None))
    return lambda target: check(Context(user, planet, standing, target))


def _bound(rule: Rule, about_viewer: Context) -> Callable[[Context], bool]:
    if not _reads_target(rule):
        allowed = bool(rule(about_viewer))
        return lambda ctx: allowed
    parts = getattr(rule, "parts", None)
    if parts is None:
        return lambda ctx: rule(ctx).allowed
    fixed = [bool(part(about_viewer)) for part in parts if not _reads_target(part)]
    if rule.combine is all and not all(fixed):
        return lambda ctx: False
    if rule.combine is any and any(fixed):
        return lambda ctx: True
    varying = [_bound(part, about_viewer) for part in parts if _reads_target(part)]
    if len(varying) == 1:
        return varying[0]
    if len(varying) == 2:  # the usual case, without a loop (asked per item)
        first, second = varying
        if rule.combine is all:
            return lambda ctx: first(ctx) and second(ctx)
        return lambda ctx: first(ctx) or second(ctx)
    return lambda ctx: rule.combine(check(ctx) for check in varying)


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
