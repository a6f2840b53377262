"""The access table, through the HTTP routes: every role x every action x the settings that change
the answer.

The expected outcomes below are written by hand from the product rules (DESIGN.md: who may do
what; the planet's settings), NOT computed by calling planet.policy (that would be circular).
Allowed: a 2xx/3xx answer and the write happened (or the paid content was shown). Refused: 401,
403, 404 or a redirect to the landing/login page, nothing written and no canary in the body.

Speed: the world (one planet, one person per role, canary content, signed-in clients) is built
once per module and restored before each case from an SQLite snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from payments.campaign_models import Campaign
from payments.gateway import StripeGateway
from payments.models import Payment, PaymentKind
from planet.content.columns.models import Column, ColumnEntry, ColumnRead
from planet.content.drafts.models import Draft, DraftState
from planet.content.faq.models import FaqDeflection, FaqEntry
from planet.content.library.models import PlanetFile
from planet.content.models import (
    Answer,
    Audience,
    Comment,
    PaidStatus,
    QuestionOffer,
    Report,
    Topic,
    TopicKind,
)
from planet.exports.models import DataExport
from planet.extensions import db
from planet.members.models import Invitation
from planet.messages.models import Message
from planet.models import utcnow
from planet.moderation.models import AuditEntry, WordList
from planet.planets.models import Membership, MembershipStatus, Planet, PostingPolicy, Role
from tests.payments.conftest import FakeProvider
from tests.planet.access_helpers import (
    ANSWER_CANARY,
    COMMENT_CANARY,
    DRAFT_CANARY,
    FILE_BODY_CANARY,
    FILE_NAME_CANARY,
    LESSON_TITLE,
    OPEN_QUESTION_CANARY,
    OWN_PAID_QUESTION_CANARY,
    PAID_PRICE,
    PRIVATE_ANSWER_CANARY,
    ROLES,
    TAG,
    TOPIC_CANARY,
    SecurityWorld,
    Snapshot,
    canary_zip,
    module_app,
    refused_status,
)

# ---------------------------------------------------------------- who

ACTIVE = frozenset({"owner", "admin", "guest", "member", "grace", "trial"})
"""Active members: in-grace (expired, grace_until ahead) and trial members are members."""
STAFF = frozenset({"owner", "admin", "guest"})
MODS = frozenset({"owner", "admin"})
OWNER = frozenset({"owner"})
NOBODY = frozenset()
NOT_BANNED = frozenset(ROLES) - {"banned"}

# ---------------------------------------------------------------- settings

SETTINGS = {
    "default": {},
    "posting_members": {"posting_policy": PostingPolicy.MEMBERS},
    "questions_off": {"questions_enabled": False},
    "comments_off": {"comments_enabled": False},
    "roster_hidden": {"roster_visible": False},
    "messages_off": {"private_messages_enabled": False},
    "public_directory": {"public_directory": True},
    "public_directory_roster_hidden": {"public_directory": True, "roster_visible": False},
    "dissolved": {"dissolved_at": "now"},
    # Paid questions: the owner and the guest set a price, for members, visitors or both.
    "paid_both": {"offers": Audience.BOTH},
    "paid_members": {"offers": Audience.MEMBERS},
    "paid_visitors": {"offers": Audience.VISITORS},
    "paid_questions_off": {"offers": Audience.BOTH, "questions_enabled": False},
    "paid_dissolved": {"offers": Audience.BOTH, "dissolved_at": "now"},
}
SIGNED_IN_NOT_BANNED = NOT_BANNED - {"anonymous"}
NOT_ACTIVE_SIGNED_IN = frozenset({"outsider", "expired", "refunded"})

# ---------------------------------------------------------------- the table (product rules)
# action -> {setting: who is allowed}. "default" applies to every setting not named.
# Settings listed under an action are the ones that change its answer (and get their own cases).

EXPECTED: dict[str, dict[str, frozenset]] = {
    # Reading: active members only (expired, refunded, banned, outsiders and visitors see the
    # landing page). A dissolved planet stays readable to its members.
    "read_timeline": {"default": ACTIVE, "dissolved": ACTIVE},
    "read_topic": {"default": ACTIVE},
    "read_answer": {"default": ACTIVE},
    "read_comments": {"default": ACTIVE, "comments_off": ACTIVE},
    # An unanswered question: only the asker (member), the one asked (owner) and moderators.
    "read_open_question": {"default": frozenset({"owner", "admin", "member"})},
    "tag_page": {"default": ACTIVE},
    "author_page": {"default": ACTIVE},
    "search": {"default": ACTIVE},
    "attachment": {"default": ACTIVE, "dissolved": ACTIVE},
    # Writing: staff publish topics unless the owner lets every member; a dissolved planet is
    # read-only.
    "post_topic": {"default": STAFF, "posting_members": ACTIVE, "dissolved": NOBODY},
    "ask_question": {"default": ACTIVE, "questions_off": NOBODY, "dissolved": NOBODY},
    # Only the person asked (the owner here) answers; questions already asked can still be
    # answered after the owner switches new questions off.
    "answer": {"default": OWNER, "questions_off": OWNER, "dissolved": NOBODY},
    "comment": {"default": ACTIVE, "comments_off": NOBODY, "dissolved": NOBODY},
    "like": {"default": ACTIVE, "dissolved": NOBODY},
    "feature": {"default": MODS, "dissolved": NOBODY},
    # Taking content down and reporting stay possible in a dissolved planet (moderation of what
    # remains readable); only the author, the owner and admins delete others' content.
    "delete_others": {"default": MODS, "dissolved": MODS},
    "report": {"default": ACTIVE, "dissolved": ACTIVE},
    "moderation_queue": {"default": MODS, "dissolved": MODS},
    "announce": {"default": OWNER, "dissolved": NOBODY},
    # Members
    "roster": {"default": ACTIVE, "roster_hidden": MODS},
    "send_message": {"default": ACTIVE, "messages_off": MODS, "dissolved": NOBODY},
    # A reply to an owner or admin who wrote first: members may answer with messages off.
    "reply_to_staff": {"default": ACTIVE, "messages_off": ACTIVE, "dissolved": NOBODY},
    "settings": {"default": OWNER, "dissolved": NOBODY},
    "manage_roles": {"default": OWNER, "dissolved": NOBODY},
    # Bringing in people who paid elsewhere, or granting free seats: the owner's alone.
    "import_members": {"default": OWNER, "dissolved": NOBODY},
    "grant_comp_seat": {"default": OWNER, "dissolved": NOBODY},
    # Anyone signed in and not banned may buy a year of a paid planet for someone else.
    "give_gift": {"default": NOT_BANNED - {"anonymous"}, "dissolved": NOBODY},
    "remove": {"default": MODS},
    "ban": {"default": OWNER},
    "dissolve": {"default": OWNER, "dissolved": NOBODY},
    # Money: the owner only (admins have no access to money), also after dissolving.
    "income": {"default": OWNER, "dissolved": OWNER},
    # The weekly report is read like the income page; its day is set in a living planet only.
    "weekly_report": {"default": OWNER, "dissolved": OWNER},
    "set_weekly_report": {"default": OWNER, "dissolved": NOBODY},
    # Who is about to lapse, with what they read and asked: the owner's alone.
    "win_back": {"default": OWNER, "dissolved": OWNER},
    "segments": {"default": OWNER, "dissolved": OWNER},
    # Sensitive words and what they hold: moderators; the audit list: the owner, who answers
    # for what the planet shows.
    "review_queue": {"default": MODS, "dissolved": MODS},
    "sensitive_words": {"default": MODS, "dissolved": MODS},
    "audit_log": {"default": OWNER, "dissolved": OWNER},
    # Muting a plain member: moderators (like removing), not in a dissolved planet.
    "mute": {"default": MODS, "dissolved": NOBODY},
    # Requests to join a screening free planet: moderators decide, not in a dissolved planet.
    "review_applications": {"default": MODS, "dissolved": NOBODY},
    # A campaign needs someone in its segment: every active member is in "never posted".
    "send_campaign": {"default": OWNER, "dissolved": NOBODY},
    # Community life
    "directory": {
        "default": ACTIVE,
        "roster_hidden": MODS,
        "public_directory": NOT_BANNED,
        "public_directory_roster_hidden": NOT_BANNED,
    },
    "challenges": {"default": ACTIVE},
    "homework": {"default": ACTIVE},
    "polls": {"default": ACTIVE},
    "events": {"default": ACTIVE},
    "points": {"default": ACTIVE},
    "health": {"default": OWNER},
    "export_planet": {"default": OWNER},
    # Paid questions (付费提问). Without a price nobody asks with one; with a price, whoever
    # the answerer allows (members: active ones; visitors: signed-in people who are not active
    # members), never the banned, in a planet taking questions and not dissolved.
    "ask_paid_question": {
        "default": NOBODY,
        "paid_both": SIGNED_IN_NOT_BANNED,
        "paid_members": ACTIVE,
        "paid_visitors": NOT_ACTIVE_SIGNED_IN,
        "paid_questions_off": NOBODY,
        "paid_dissolved": NOBODY,
    },
    # The owner and guests set their own price (not in a dissolved planet).
    "set_question_price": {"default": frozenset({"owner", "guest"}), "dissolved": NOBODY},
    # Only the one asked (the owner) declines a paid question waiting for them (a refund: also
    # in a dissolved planet).
    "decline_question": {"default": OWNER, "dissolved": OWNER},
    # A private answer: the asker (member) and the one asked (owner) read it; every other
    # active member may pay to peek (not in a dissolved planet); nobody else sees it.
    "read_private_answer": {"default": frozenset({"member", "owner"})},
    "peek_answer": {"default": ACTIVE - {"member", "owner"}, "dissolved": NOBODY},
    # A visitor's paid question: its asker (the outsider), the one asked and moderators.
    "read_own_paid_question": {"default": frozenset({"outsider", "owner", "admin"})},
    # Columns (专栏): members read them (and note their progress, also in a dissolved planet);
    # the owner and admins make and fill them.
    "columns": {"default": ACTIVE, "dissolved": ACTIVE},
    # The FAQ: members read and search it (also in a dissolved planet); an answer that made a
    # question unnecessary counts for those who could ask; moderators promote, summarise, hide.
    "faq": {"default": ACTIVE, "dissolved": ACTIVE},
    "faq_suggest": {"default": ACTIVE, "dissolved": ACTIVE},
    "faq_helped": {"default": ACTIVE, "questions_off": NOBODY, "dissolved": NOBODY},
    "manage_faq": {"default": MODS, "dissolved": NOBODY},
    # Leak protection: whose member number is on a screenshot is the owner's to look up (also
    # after dissolving: the content stays readable, so it can still leak).
    "leak_lookup": {"default": OWNER, "dissolved": OWNER},
    # The file library: members list and download (also in a dissolved planet); uploading
    # follows publishing topics; the uploader (the owner here) and admins delete.
    "files": {"default": ACTIVE, "dissolved": ACTIVE},
    "download_file": {"default": ACTIVE, "dissolved": ACTIVE},
    "upload_file": {"default": STAFF, "posting_members": ACTIVE, "dissolved": NOBODY},
    "delete_file": {"default": MODS, "dissolved": MODS},
    "column_page": {"default": ACTIVE},
    "mark_read": {"default": ACTIVE, "dissolved": ACTIVE},
    "manage_columns": {"default": MODS, "dissolved": NOBODY},
    "add_to_column": {"default": MODS, "dissolved": NOBODY},
    "edit_column": {"default": MODS, "dissolved": NOBODY},
    # Drafts and scheduled posts: the owner, admins and guests (not members, even where
    # members may post); announcements the owner. A draft is its author's alone: the owner's
    # draft is edited, published and deleted by the owner only. Every member may open their
    # own (empty) drafts list.
    "drafts_page": {"default": ACTIVE, "dissolved": ACTIVE},
    "save_draft": {"default": STAFF, "posting_members": STAFF, "dissolved": NOBODY},
    "schedule_post": {"default": STAFF, "dissolved": NOBODY},
    "schedule_announcement": {"default": OWNER, "dissolved": NOBODY},
    "edit_draft": {"default": OWNER, "dissolved": NOBODY},
    "publish_draft": {"default": OWNER, "dissolved": NOBODY},
    "delete_draft": {"default": OWNER, "dissolved": OWNER},
}


# ---------------------------------------------------------------- how each action is done


@dataclass
class Route:
    method: str
    path: callable  # (world, who) -> URL
    data: callable = lambda w, who: None
    canary: str | None = None  # a read shows this when allowed
    bytes_canary: bool = False
    done: callable | None = None  # (world, who) -> bool: the write happened
    tags: list = field(default_factory=list)
    hidden_when_refused: bool = False
    """A page readers get, with the canary left out for those refused (a private answer)."""
    also_refused: tuple = ()
    """Statuses besides 401/403/404 that refuse this action (a 409 where it makes sense)."""


def _mark(action: str, who: str) -> str:
    return f"WRITEMARK-{action}-{who}"


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _topic_with(body: str, **extra):
    return _count(Topic, Topic.body == body, *[getattr(Topic, k) == v for k, v in extra.items()])


def _in_a_month() -> str:
    """A wall-clock time a month ahead, as the schedule field sends it."""
    return (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")


def _asked(world, who):
    return "guest" if who == "owner" else "owner"


def _staff_who_wrote(who):
    """The owner wrote to everyone (the admin wrote to the owner): see `_staff_wrote_first`."""
    return "admin" if who == "owner" else "owner"


def _staff_wrote_first(world):
    """A message from the owner to every person with a membership, and the admin's to the
    owner: the conversations a reply in "reply_to_staff" answers."""
    now = utcnow()
    pairs = [("owner", who) for who in world.membership_ids if who != "owner"]
    for sender, recipient in [*pairs, ("admin", "owner")]:
        db.session.add(
            Message(planet_id=world.planet_id, sender_id=world.uid(sender),
                    recipient_id=world.uid(recipient), body="From staff", created_at=now)
        )  # fmt: skip
    db.session.commit()


ROUTES: dict[str, Route] = {
    "read_timeline": Route("GET", lambda w, who: w.url(""), canary=TOPIC_CANARY),
    "read_topic": Route("GET", lambda w, who: w.url(f"t/{w.ids['topic']}"), canary=TOPIC_CANARY),
    "read_answer": Route(
        "GET", lambda w, who: w.url(f"t/{w.ids['question']}"), canary=ANSWER_CANARY
    ),
    "read_comments": Route(
        "GET", lambda w, who: w.url(f"t/{w.ids['topic']}"), canary=COMMENT_CANARY
    ),
    "read_open_question": Route(
        "GET", lambda w, who: w.url(f"t/{w.ids['open_question']}"), canary=OPEN_QUESTION_CANARY
    ),
    "tag_page": Route("GET", lambda w, who: w.url(f"tags/{TAG}"), canary=TOPIC_CANARY),
    "author_page": Route("GET", lambda w, who: w.url(f"u/{w.uid('owner')}"), canary=TOPIC_CANARY),
    "search": Route("GET", lambda w, who: w.url(f"search?q={TOPIC_CANARY}"), canary=TOPIC_CANARY),
    "attachment": Route(
        "GET", lambda w, who: w.url(f"files/{w.attachment_key}"), bytes_canary=True
    ),
    "post_topic": Route(
        "POST",
        lambda w, who: w.url("new"),
        data=lambda w, who: {"body": _mark("post", who)},
        done=lambda w, who: _topic_with(_mark("post", who)) == 1,
    ),
    "ask_question": Route(
        "POST",
        lambda w, who: w.url("ask"),
        data=lambda w, who: {"addressee": w.uid(_asked(w, who)), "body": _mark("ask", who)},
        done=lambda w, who: _topic_with(_mark("ask", who), kind=TopicKind.QUESTION) == 1,
    ),
    "answer": Route(
        "POST",
        lambda w, who: w.url(f"t/{w.ids['open_question']}/answer"),
        data=lambda w, who: {"body": _mark("answer", who)},
        done=lambda w, who: _count(Answer, Answer.body == _mark("answer", who)) == 1,
    ),
    "comment": Route(
        "POST",
        lambda w, who: w.url(f"t/{w.ids['topic']}/comments"),
        data=lambda w, who: {"body": _mark("comment", who)},
        done=lambda w, who: _count(Comment, Comment.body == _mark("comment", who)) == 1,
    ),
    "like": Route(
        "POST",
        lambda w, who: w.url(f"t/{w.ids['topic']}/like"),
        done=lambda w, who: db.session.get(Topic, w.ids["topic"]).like_count == 1,
    ),
    "feature": Route(
        "POST",
        lambda w, who: w.url(f"t/{w.ids['topic']}/feature"),
        data=lambda w, who: {"what": "essence", "on": "1"},
        done=lambda w, who: db.session.get(Topic, w.ids["topic"]).is_essence,
    ),
    "delete_others": Route(
        "POST",
        lambda w, who: w.url(f"c/{w.ids['comment']}/delete"),
        done=lambda w, who: db.session.get(Comment, w.ids["comment"]).deleted_at is not None,
    ),
    "report": Route(
        "POST",
        lambda w, who: w.url(f"c/{w.ids['comment']}/report"),
        data=lambda w, who: {"reason": _mark("report", who)},
        done=lambda w, who: _count(Report, Report.reason == _mark("report", who)) == 1,
    ),
    "moderation_queue": Route("GET", lambda w, who: w.url("reports")),
    "announce": Route(
        "POST",
        lambda w, who: w.url("new"),
        data=lambda w, who: {"body": _mark("announce", who), "announce": "y"},
        done=lambda w, who: _topic_with(_mark("announce", who), is_announcement=True) == 1,
    ),
    "roster": Route("GET", lambda w, who: w.url("members")),
    "send_message": Route(
        "POST",
        lambda w, who: f"/messages/{w.slug}/{w.uid('author')}",
        data=lambda w, who: {"body": _mark("message", who)},
        done=lambda w, who: _count(Message, Message.body == _mark("message", who)) == 1,
    ),
    "reply_to_staff": Route(
        "POST",
        lambda w, who: f"/messages/{w.slug}/{w.uid(_staff_who_wrote(who))}",
        data=lambda w, who: {"body": _mark("reply", who)},
        done=lambda w, who: _count(Message, Message.body == _mark("reply", who)) == 1,
    ),
    "settings": Route("GET", lambda w, who: w.url("settings")),
    "manage_roles": Route(
        "POST",
        lambda w, who: w.url(f"members/{w.mid('author')}/role"),
        data=lambda w, who: {"role": "admin"},
        done=lambda w, who: w.membership("author").role is Role.ADMIN,
    ),
    "import_members": Route("GET", lambda w, who: w.url("members/import")),
    "give_gift": Route("GET", lambda w, who: w.url("gift")),
    "grant_comp_seat": Route(
        "POST",
        lambda w, who: w.url("members/free-seats"),
        data=lambda w, who: {
            "email": f"seat-{who}@example.com",
            "until": (utcnow() + timedelta(days=200)).date().isoformat(),
        },
        done=lambda w, who: (
            _count(Invitation, Invitation.contact == f"seat-{who}@example.com") == 1
        ),
    ),
    "remove": Route(
        "POST",
        lambda w, who: w.url(f"members/{w.mid('author')}/remove"),
        done=lambda w, who: w.membership("author").status is MembershipStatus.REMOVED,
    ),
    "ban": Route(
        "POST",
        lambda w, who: w.url(f"members/{w.mid('author')}/ban"),
        done=lambda w, who: w.membership("author").status is MembershipStatus.BANNED,
    ),
    "dissolve": Route(
        "POST",
        lambda w, who: w.url("dissolve"),
        data=lambda w, who: {"confirm": w.slug},
        # In the "dissolved" setting the planet is already dissolved: the write would be a new
        # date (checked against the one set before).
        done=lambda w, who: db.session.get(Planet, w.planet_id).dissolved_at != w.dissolved_at,
    ),
    "income": Route("GET", lambda w, who: w.url("income")),
    "weekly_report": Route("GET", lambda w, who: w.url("weekly-report")),
    "win_back": Route("GET", lambda w, who: w.url("win-back")),
    "review_queue": Route("GET", lambda w, who: w.url("moderation/")),
    "sensitive_words": Route(
        "POST",
        lambda w, who: w.url("moderation/words"),
        data=lambda w, who: {"words": _mark("word", who)},
        done=lambda w, who: _count(WordList, WordList.words == _mark("word", who)) == 1,
    ),
    "audit_log": Route("GET", lambda w, who: w.url("moderation/audit")),
    "review_applications": Route("GET", lambda w, who: w.url("applications")),
    "mute": Route(
        "POST",
        lambda w, who: w.url(f"members/{w.mid('author')}/mute"),
        data=lambda w, who: {"days": "3"},
        done=lambda w, who: w.membership("author").muted_until is not None,
    ),
    "segments": Route("GET", lambda w, who: w.url("segments?segment=never_posted")),
    "send_campaign": Route(
        "POST",
        lambda w, who: w.url("campaigns?segment=never_posted"),
        data=lambda w, who: {"subject": _mark("campaign", who), "body": "Hello all"},
        done=lambda w, who: _count(Campaign, Campaign.subject == _mark("campaign", who)) == 1,
    ),
    "set_weekly_report": Route(
        "POST",
        lambda w, who: w.url("weekly-report"),
        data=lambda w, who: {"day": "3"},
        done=lambda w, who: db.session.get(Planet, w.planet_id).weekly_report_day == 3,
    ),
    "directory": Route("GET", lambda w, who: w.url("directory")),
    "challenges": Route("GET", lambda w, who: w.url("challenges")),
    "homework": Route("GET", lambda w, who: w.url("homework")),
    "polls": Route("GET", lambda w, who: w.url("polls")),
    "events": Route("GET", lambda w, who: w.url("events")),
    "points": Route("GET", lambda w, who: w.url("points")),
    "health": Route("GET", lambda w, who: w.url("health")),
    "export_planet": Route(
        "POST",
        lambda w, who: w.url("export"),
        done=lambda w, who: bool(
            _count(
                DataExport,
                DataExport.user_id == w.user_ids.get(who),
                DataExport.planet_id == w.planet_id,
            )
        ),
    ),
    "ask_paid_question": Route(
        "POST",
        lambda w, who: w.url(f"ask/{w.uid(_asked(w, who))}/paid"),
        data=lambda w, who: {"body": _mark("paid-ask", who), "expected_amount": PAID_PRICE},
        done=lambda w, who: _topic_with(_mark("paid-ask", who), paid_status=PaidStatus.UNPAID) == 1,
    ),
    "set_question_price": Route(
        "POST",
        lambda w, who: w.url("question-price"),
        data=lambda w, who: {"which": "price", "price-price": "7", "price-audience": "both"},
        done=lambda w, who: (
            _count(
                QuestionOffer,
                QuestionOffer.user_id == w.user_ids.get(who),
                QuestionOffer.price == 700,
            )
            == 1
        ),
    ),
    "decline_question": Route(
        "POST",
        lambda w, who: w.url(f"t/{w.ids['paid_waiting']}/decline"),
        done=lambda w, who: (
            db.session.get(Topic, w.ids["paid_waiting"]).paid_status is PaidStatus.DECLINED
        ),
    ),
    "read_private_answer": Route(
        "GET",
        lambda w, who: w.url(f"t/{w.ids['private_question']}"),
        canary=PRIVATE_ANSWER_CANARY,
        hidden_when_refused=True,
    ),
    "peek_answer": Route(
        "POST",
        lambda w, who: w.url(f"t/{w.ids['private_question']}/peek"),
        done=lambda w, who: (
            _count(
                Payment, Payment.user_id == w.user_ids.get(who), Payment.kind == PaymentKind.PEEK
            )
            == 1
        ),
        also_refused=(409,),  # the asker and the one asked: "you can already read this answer"
    ),
    "read_own_paid_question": Route(
        "GET",
        lambda w, who: w.url(f"t/{w.ids['own_paid_question']}"),
        canary=OWN_PAID_QUESTION_CANARY,
    ),
    "columns": Route("GET", lambda w, who: w.url("columns")),
    "faq": Route("GET", lambda w, who: w.url("faq"), canary=ANSWER_CANARY),
    "faq_suggest": Route(
        # lower case: a refused visitor's login link carries the query, not the canary itself
        "GET",
        lambda w, who: w.url(f"faq/suggest?q={ANSWER_CANARY.lower()}"),
        canary=ANSWER_CANARY,
    ),
    "faq_helped": Route(
        "POST",
        lambda w, who: w.url(f"faq/{w.ids['question']}/helped"),
        done=lambda w, who: (
            _count(FaqDeflection, FaqDeflection.user_id == w.user_ids.get(who)) == 1
        ),
    ),
    "files": Route("GET", lambda w, who: w.url("library"), canary=FILE_NAME_CANARY),
    "download_file": Route(
        "GET", lambda w, who: w.url(f"library/{w.ids['file']}/download"), bytes_canary=True
    ),
    "upload_file": Route(
        "POST",
        lambda w, who: w.url("library"),
        data=lambda w, who: {"file": (BytesIO(canary_zip()), f"{_mark('upload', who)}.zip")},
        done=lambda w, who: (
            _count(PlanetFile, PlanetFile.name == f"{_mark('upload', who)}.zip") == 1
        ),
    ),
    "delete_file": Route(
        "POST",
        lambda w, who: w.url(f"library/{w.ids['file']}/delete"),
        done=lambda w, who: _count(PlanetFile, PlanetFile.deleted_at.is_not(None)) == 1,
    ),
    "leak_lookup": Route(
        "POST",
        lambda w, who: w.url("leaks"),
        data=lambda w, who: {"number": "1"},
        done=lambda w, who: _count(AuditEntry, AuditEntry.action == "leak_lookup") == 1,
    ),
    "manage_faq": Route(
        "POST",
        lambda w, who: w.url(f"faq/{w.ids['question']}/promote"),
        data=lambda w, who: {"value": "on"},
        done=lambda w, who: _count(FaqEntry, FaqEntry.promoted.is_(True)) == 1,
    ),
    "column_page": Route(
        "GET", lambda w, who: w.url(f"columns/{w.ids['column']}"), canary=LESSON_TITLE
    ),
    "mark_read": Route(
        "POST",
        lambda w, who: w.url(f"columns/{w.ids['column']}/read/{w.ids['lesson']}"),
        done=lambda w, who: _count(ColumnRead, ColumnRead.topic_id == w.ids["lesson"]) == 1,
    ),
    "manage_columns": Route(
        "POST",
        lambda w, who: w.url("columns/new"),
        data=lambda w, who: {"title": _mark("column", who)},
        done=lambda w, who: _count(Column, Column.title == _mark("column", who)) == 1,
    ),
    "add_to_column": Route(
        "POST",
        lambda w, who: w.url(f"t/{w.ids['topic']}/column"),
        data=lambda w, who: {"column_id": str(w.ids["column"])},
        done=lambda w, who: _count(ColumnEntry, ColumnEntry.topic_id == w.ids["topic"]) == 1,
    ),
    "drafts_page": Route("GET", lambda w, who: w.url("drafts")),
    "save_draft": Route(
        "POST",
        lambda w, who: w.url("new"),
        data=lambda w, who: {"body": _mark("draft", who), "intent": "draft"},
        done=lambda w, who: _count(Draft, Draft.body == _mark("draft", who)) == 1,
    ),
    "schedule_post": Route(
        "POST",
        lambda w, who: w.url("new"),
        data=lambda w, who: {
            "body": _mark("schedule", who),
            "intent": "schedule",
            "publish_at": _in_a_month(),
        },
        done=lambda w, who: (
            _count(Draft, Draft.body == _mark("schedule", who), Draft.state == DraftState.SCHEDULED)
            == 1
        ),
    ),  # fmt: skip
    "schedule_announcement": Route(
        "POST",
        lambda w, who: w.url("new"),
        data=lambda w, who: {
            "body": _mark("later", who),
            "intent": "schedule",
            "announce": "y",
            "publish_at": _in_a_month(),
        },
        done=lambda w, who: (
            _count(Draft, Draft.body == _mark("later", who), Draft.announce.is_(True)) == 1
        ),
    ),  # fmt: skip
    "edit_draft": Route(
        "POST",
        lambda w, who: w.url(f"drafts/{w.ids['draft']}/edit"),
        data=lambda w, who: {"body": _mark("edited", who), "intent": "draft"},
        done=lambda w, who: _count(Draft, Draft.body == _mark("edited", who)) == 1,
    ),
    "publish_draft": Route(
        "POST",
        lambda w, who: w.url(f"drafts/{w.ids['draft']}/publish"),
        done=lambda w, who: _count(Topic, Topic.body.like(f"{DRAFT_CANARY}%")) == 1,
    ),
    "delete_draft": Route(
        "POST",
        lambda w, who: w.url(f"drafts/{w.ids['draft']}/delete"),
        done=lambda w, who: _count(Draft, Draft.id == w.ids["draft"]) == 0,
    ),
    "edit_column": Route(
        "POST",
        lambda w, who: w.url(f"columns/{w.ids['column']}/edit"),
        data=lambda w, who: {"title": _mark("renamed", who)},
        done=lambda w, who: _count(Column, Column.title == _mark("renamed", who)) == 1,
    ),
}


def _cases():
    cases = []
    for action, table in EXPECTED.items():
        for setting in table:
            for who in ROLES:
                allowed = who in table[setting]
                cases.append(
                    pytest.param(
                        setting, action, who, allowed, id=f"{setting}-{action}-{who}-{allowed}"
                    )
                )
    return cases


CASES = _cases()
assert set(EXPECTED) == set(ROUTES)
assert len(CASES) >= 300


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "access-table") as app:
        app.extensions["payments_gateway"] = StripeGateway(
            "sk_test_fake", "http://fake.invalid", http_client=FakeProvider(), max_network_retries=0
        )  # a declined paid question is refunded at the (fake) provider
        world = SecurityWorld(app)
        world.add_paid_questions()
        world.add_column()
        world.add_drafts()
        world.sign_in_everyone()
        _staff_wrote_first(world)
        world.snapshot = Snapshot()
        yield world


def _apply(world, setting: str):
    world.snapshot.restore()
    values = dict(SETTINGS[setting])
    if "offers" in values:
        world.set_offers(values.pop("offers"))
    world.dissolved_at = None
    if values.get("dissolved_at") == "now":
        values["dissolved_at"] = utcnow() - timedelta(minutes=5)
    if values:
        world.set(**values)
    world.dissolved_at = db.session.get(Planet, world.planet_id).dissolved_at


@pytest.mark.parametrize(("setting", "action", "who", "allowed"), CASES)
def test_access_table(world, setting, action, who, allowed):
    _apply(world, setting)
    route = ROUTES[action]
    client = world.client(who)
    url = route.path(world, who)
    if route.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=route.data(world, who) or {})
    status = response.status_code
    assert status < 500, f"{status} for {who} on {action} ({setting})"
    db.session.remove()
    raw = response.get_data()
    text = raw.decode("utf-8", "replace")

    if allowed:
        assert 200 <= status < 400, f"{who} should be allowed to {action} ({setting}): {status}"
        if status >= 300:
            location = response.headers.get("Location", "")
            assert not refused_status(response, world.slug) or route.method == "POST", location
            assert "/accounts/login" not in location
        if route.canary:
            assert route.canary in text
        if route.bytes_canary:
            assert FILE_BODY_CANARY.encode() in raw
        if route.done:
            assert route.done(world, who), f"{action} by {who} answered {status} but wrote nothing"
    elif route.hidden_when_refused and status == 200:
        assert route.canary not in text, f"{route.canary} reached {who} on {action} ({setting})"
    else:
        assert status in route.also_refused or refused_status(response, world.slug), (
            f"{who} must not {action} ({setting}): {status} {response.headers.get('Location')}"
        )
        if route.done:
            assert not route.done(world, who), f"{action} by {who} was refused but written"
        assert FILE_BODY_CANARY.encode() not in raw
        hidden = (TOPIC_CANARY, ANSWER_CANARY, COMMENT_CANARY, OPEN_QUESTION_CANARY)
        hidden += (PRIVATE_ANSWER_CANARY, OWN_PAID_QUESTION_CANARY)
        hidden += (DRAFT_CANARY,) if who != "owner" else ()  # the owner wrote the draft
        for canary in hidden:
            assert canary not in text, f"{canary} reached {who} on {action} ({setting})"


def test_membership_rows_are_what_the_table_assumes(world):
    """Guard the table's premises: the roles are the states they claim to be."""
    world.snapshot.restore()
    now = utcnow()
    rows = {who: world.membership(who) for who in world.membership_ids}
    assert rows["owner"].role is Role.OWNER
    assert rows["expired"].expires_at < now and rows["expired"].status is MembershipStatus.ACTIVE
    assert rows["grace"].expires_at < now < rows["grace"].grace_until
    assert rows["trial"].is_trial and rows["trial"].expires_at > now
    assert rows["refunded"].status is MembershipStatus.REFUNDED
    assert rows["banned"].status is MembershipStatus.BANNED
    assert "outsider" not in rows
    assert _count(Membership, Membership.user_id == world.uid("outsider")) == 0
