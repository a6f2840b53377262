"""The rules: one per `Action`, composed from small named predicates that carry their reasons."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from planet.members import entitlement
from planet.models import utcnow
from planet.planets.models import Membership, PostingPolicy, Role
from planet.policy.core import (
    _NOT_ACTIVE,
    _ROLE_NAMES,
    ALLOW,
    MODERATORS,
    STAFF,
    Action,
    All,
    Any,
    Check,
    Context,
    Decision,
    MemberState,
    OnTarget,
    Rule,
    about_the_viewer,
    deny,
    membership_state,
)

_NOT_ACTIVE_REFUSALS = {state: deny(*refusal) for state, refusal in _NOT_ACTIVE.items()}


@about_the_viewer
def ActiveMember(ctx: Context) -> Decision:
    """An active membership, or the reason the person has none."""
    if ctx.standing.state is MemberState.ACTIVE:
        return ALLOW
    return _NOT_ACTIVE_REFUSALS[ctx.standing.state]


def HasRole(*roles: Role) -> Rule:
    """One of `roles` in an active membership."""

    # Translated when a refusal is shown, not each time one is decided (a page asks the
    # policy about every comment, and most answers are refusals nobody reads).
    allowed = LazyString(lambda: ", ".join(str(_ROLE_NAMES.get(role, role)) for role in roles))

    refused = deny(_l("Only %(roles)s can do this.", roles=allowed))

    def rule(ctx: Context) -> Decision:
        return ALLOW if ctx.standing.has_role(*roles) else refused

    return about_the_viewer(rule)


def PlanetSetting(name: str, reason="") -> Rule:
    """The planet's switch `name` is on."""
    return Check(lambda ctx: getattr(ctx.planet, name), reason, reads_target=False)


def IsAuthor(reason="") -> Rule:
    """The target is the person's own content."""
    return Check(lambda ctx: getattr(ctx.target, "author_id", None) == ctx.standing.user_id, reason)


def _active_now(membership: Membership) -> bool:
    return membership_state(membership, utcnow())[0] is MemberState.ACTIVE


def _sees_open_question(topic, ctx: Context) -> bool:
    """An unanswered question is for its asker, the one asked and moderators only; a paid
    question not paid yet is for its asker alone."""
    if getattr(topic, "paid_status", None) == "unpaid":
        return ctx.standing.user_id == topic.author_id
    if not getattr(topic, "is_question", False) or topic.answered_at is not None:
        return True
    involved = ctx.standing.user_id in (topic.author_id, topic.addressee_id)
    return involved or ctx.standing.has_role(*MODERATORS)


def _own_paid_question(topic, ctx: Context) -> bool:
    """A visitor who paid to ask sees that question and its answer (nothing else)."""
    return (
        ctx.standing.user_id is not None
        and getattr(topic, "paid_status", None) is not None
        and topic.author_id == ctx.standing.user_id
        and getattr(topic, "deleted_at", None) is None
    )


@dataclass(frozen=True)
class AnswerAccess:
    """READ_ANSWER's and PEEK_ANSWER's target: a question (topic or card) and whether this
    reader already paid to peek at its answer (planet/content/services/paid_questions.py)."""

    topic: object
    peeked: bool = False


def _answer_is_theirs(access: AnswerAccess, ctx: Context) -> bool:
    topic = access.topic
    return ctx.standing.user_id in (topic.author_id, topic.addressee_id)


def _answer_open_to(access: AnswerAccess, ctx: Context) -> bool:
    topic = access.topic
    return (
        not getattr(topic, "answer_private", False)
        or access.peeked
        or _answer_is_theirs(access, ctx)
    )


def _asker_allowed(offer, ctx: Context) -> bool:
    """The answerer's audience: members (active), visitors (signed in, not a member), both."""
    member = ctx.standing.state is MemberState.ACTIVE
    audience = str(offer.audience)
    return audience == "both" or (audience == "members") == member


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
                 _l("Please sign in first."), 401, reads_target=False)  # fmt: skip
NotDissolved = Check(lambda ctx: not ctx.planet.is_dissolved,
                     _l("This planet has been dissolved and is read-only."),
                     reads_target=False)  # fmt: skip
NotBanned = Check(lambda ctx: ctx.standing.state is not MemberState.BANNED,
                  _l("You have been banned from this planet."), reads_target=False)  # fmt: skip
PublicFile = Check(lambda ctx: ctx.target is not None and ctx.target.planet_id is None)  # avatars
MemberWrites = All(ActiveMember, NotDissolved)
MayPay = All(SignedIn, NotDissolved, NotBanned)


def RoleWrites(*roles: Role) -> Rule:
    """One of `roles`, in a planet that is not dissolved."""
    return All(NotDissolved, HasRole(*roles))


ReadTopic = Any(
    Check(lambda ctx: ctx.target is not None and _own_paid_question(ctx.target, ctx)),
    All(
        ActiveMember,
        OnTarget(lambda topic, ctx: getattr(topic, "deleted_at", None) is None,
                 _l("This content was deleted."), 404),
        OnTarget(_sees_open_question, _l("This question has not been answered yet."), 404),
    ),
)  # fmt: skip
_PAID_CLOSED = {"expired": _l("This question was not answered in time; it was refunded and "
                              "is closed."),
                "declined": _l("This question was declined and refunded; it is closed."),
                "unpaid": _l("This question has not been paid for yet.")}  # fmt: skip


def PaidQuestionOpen(ctx: Context) -> Decision:
    """A paid question can be answered (or declined) only while it is paid and waiting."""
    status = getattr(ctx.target, "paid_status", None) if ctx.target is not None else None
    if status is None or str(status) == "waiting":
        return ALLOW
    if str(status) == "answered":
        return deny(_l("This question has already been answered."), 409)
    return deny(_PAID_CLOSED[str(status)], 409)


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


def _muted(ctx) -> bool:
    membership = ctx.standing.membership
    until = getattr(membership, "muted_until", None)
    return until is not None and until > utcnow()


NotMuted = Check(
    lambda ctx: not _muted(ctx),
    _l("A moderator muted you in this planet for a while: you can read, not write."),
    reads_target=False,
)


PublishesTopics = All(
    MemberWrites,
    NotMuted,
    Any(Check(lambda ctx: ctx.planet.posting_policy is PostingPolicy.MEMBERS),
        HasRole(*STAFF),
        reason=_l("In this planet only the owner, admins and guests publish topics.")),
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
    Action.POST_TOPIC: PublishesTopics,
    Action.ASK_QUESTION: All(  # target: the Membership of the one asked
        MemberWrites,
        NotMuted,
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
        PaidQuestionOpen,
    ),
    Action.ASK_PAID_QUESTION: All(  # target: the QuestionOffer of the one asked
        MayPay,
        PlanetSetting("questions_enabled", _l("Questions are switched off in this planet.")),
        OnTarget(lambda offer, ctx: offer.user_id != ctx.standing.user_id,
                 _l("You cannot ask yourself a question."), 400),
        OnTarget(_asker_allowed, _l("This person does not take paid questions from you here.")),
    ),
    Action.SET_QUESTION_PRICE: RoleWrites(Role.OWNER, Role.GUEST),
    Action.DECLINE_QUESTION: All(  # target: a paid question
        SignedIn,
        OnTarget(lambda topic, ctx: getattr(topic, "paid_status", None) is not None
                 and topic.deleted_at is None, _l("This is not a paid question."), 404),
        OnTarget(lambda topic, ctx: topic.addressee_id == ctx.standing.user_id,
                 _l("Only the person asked can decline this question.")),
        PaidQuestionOpen,
    ),
    Action.READ_ANSWER: Check(lambda ctx: ctx.target is None or _answer_open_to(ctx.target, ctx),
                              _l("This answer is private: only the asker can read it.")),
    Action.PEEK_ANSWER: All(  # target: AnswerAccess
        MemberWrites,
        OnTarget(lambda access, ctx: getattr(access.topic, "answer_private", False)
                 and str(access.topic.paid_status) == "answered",
                 _l("There is no private answer to read here."), 404),
        OnTarget(lambda access, ctx: not _answer_is_theirs(access, ctx),
                 _l("You can already read this answer."), 409),
        OnTarget(lambda access, ctx: not access.peeked,
                 _l("You have already paid to read this answer."), 409),
    ),
    Action.COMMENT: All(MemberWrites, NotMuted, ReadTopic, PlanetSetting(
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
    Action.SKIP_REVIEW: HasRole(*STAFF),
    Action.REVIEW_APPLICATIONS: RoleWrites(*MODERATORS),
    Action.VIEW_AUDIT: HasRole(Role.OWNER),
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
    # Only plain members are muted (staff are named by the owner, who removes them instead).
    Action.MUTE_MEMBER: All(ActOnMember(*MODERATORS), OnTarget(
        lambda member, ctx: member.role is Role.MEMBER, _l("Only members can be muted."), 400)),
    Action.MANAGE_ROLES: All(  # target: Membership (optional)
        RoleWrites(Role.OWNER),
        OnTarget(lambda member, ctx: member.role is not Role.OWNER,
                 _l("The owner role cannot be given or taken here.")),
        OnTarget(lambda member, ctx: _active_now(member),
                 _l("Only active members can be given a role."), 409),
    ),
    Action.IMPORT_MEMBERS: RoleWrites(Role.OWNER),
    Action.GRANT_COMP_SEAT: RoleWrites(Role.OWNER),
    Action.ACCEPT_INVITATION: All(MayPay, Check(lambda ctx: ctx.standing.role is not Role.OWNER
                                                or not ctx.standing.active,
                                                _l("You own this planet."), 409)),
    Action.GIVE_GIFT: MayPay,
    Action.JOIN_BY_GIFT: All(MayPay, Check(lambda ctx: ctx.standing.role is not Role.OWNER
                                           or not ctx.standing.active,
                                           _l("You own this planet."), 409)),
    Action.EDIT_SETTINGS: RoleWrites(Role.OWNER),
    Action.DISSOLVE: RoleWrites(Role.OWNER),
    Action.VIEW_INCOME: HasRole(Role.OWNER),
    Action.MANAGE_MONEY: HasRole(Role.OWNER),
    Action.SET_WEEKLY_REPORT: RoleWrites(Role.OWNER),
    Action.VIEW_WIN_BACK: HasRole(Role.OWNER),
    Action.WIN_BACK: RoleWrites(Role.OWNER),
    Action.VIEW_SEGMENTS: HasRole(Role.OWNER),
    Action.SEND_CAMPAIGN: RoleWrites(Role.OWNER),
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
    # The whole planet, members and money included: its owner only (admins have no money).
    Action.EXPORT_PLANET: HasRole(Role.OWNER),
    Action.VIEW_COLUMN: ActiveMember,
    Action.MANAGE_COLUMNS: RoleWrites(*MODERATORS),
    Action.VIEW_FAQ: ActiveMember,
    Action.MANAGE_FAQ: RoleWrites(*MODERATORS),
    Action.TRACE_LEAK: HasRole(Role.OWNER),
    Action.VIEW_FILES: ActiveMember,
    Action.UPLOAD_FILE: PublishesTopics,
    Action.DOWNLOAD_FILE: All(ActiveMember, Any(
        Check(lambda ctx: ctx.target is None or ctx.target.listed), IsAuthor(),
        HasRole(*MODERATORS), reason=_l("This file waits for review."),
    )),  # fmt: skip
    Action.SCHEDULE_POST: RoleWrites(*STAFF),
    Action.VIEW_DRAFT: All(ActiveMember, Any(
        IsAuthor(),
        All(OnTarget(lambda draft, ctx: draft.announce, ""), HasRole(*MODERATORS)),
        reason=_l("Only its author can see a draft."), status=404)),
}  # fmt: skip
