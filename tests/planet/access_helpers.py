"""Shared helpers for the cross-cutting security tests (access table, leaks, XSS).

`SecurityWorld` builds one planet with one person per role (including the payment states:
refunded, in grace, on trial), paid content carrying canary strings, and clients signed in as
each person. Every client request starts with a fresh `g` (tests/conftest.py FreshClient).
"""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import contextmanager
from datetime import timedelta
from io import BytesIO

from PIL import Image, PngImagePlugin
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from planet.accounts.models import User
from planet.content.library import services as library
from planet.content.models import Attachment, Audience, PaidStatus, QuestionOffer, Topic
from planet.content.services import topics as content_services
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role
from tests import factories
from tests.conftest import login, make_test_app

# Who is who. "author" is an extra active member whose content and membership the others act on.
ROLES = (
    "owner",
    "admin",
    "guest",
    "member",
    "expired",
    "banned",
    "outsider",
    "anonymous",
    "refunded",
    "grace",
    "trial",
)
NON_MEMBERS = ("anonymous", "outsider", "expired", "refunded", "banned")

CANARY = "QzCanary7731"
TOPIC_CANARY = f"{CANARY}Topic"
TITLE_CANARY = f"{CANARY}Title"
QUESTION_CANARY = f"{CANARY}Question"
ANSWER_CANARY = f"{CANARY}Answer"
OPEN_QUESTION_CANARY = f"{CANARY}OpenQuestion"
COMMENT_CANARY = f"{CANARY}Comment"
PRIVATE_ANSWER_CANARY = f"{CANARY}PrivateAnswer"
OWN_PAID_QUESTION_CANARY = f"{CANARY}OwnPaidQuestion"
PAID_PRICE = 500
FILE_NAME_CANARY = f"{CANARY}FileName"
FILE_BODY_CANARY = f"{CANARY}FileBody"
COLUMN_CANARY = f"{CANARY}ColumnLesson"
"""The text of a topic in a column: visitors see the column's contents list, never this."""
COLUMN_TITLE = "Orbital mechanics course"
LESSON_TITLE = "Lesson one: escape velocity"
DRAFT_CANARY = f"{CANARY}Draft"
SCHEDULED_CANARY = f"{CANARY}Scheduled"
SCHEDULED_ANNOUNCEMENT_CANARY = f"{CANARY}LaterAnnouncement"
"""The owner's unpublished writing: a draft and a scheduled topic (only the owner may see
them) and a scheduled announcement (the owner and the admins)."""
TAG = "qzcanarytag"


def canary_zip(text: str = FILE_BODY_CANARY) -> bytes:
    """A valid ZIP whose bytes contain `text` (an entry stored uncompressed)."""
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("notes.txt", text)
    data = buffer.getvalue()
    assert text.encode() in data
    return data


def canary_png(text: str = FILE_BODY_CANARY) -> bytes:
    """A valid PNG whose bytes contain `text` (a tEXt chunk)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    buffer = BytesIO()
    Image.new("RGB", (6, 6), (10, 120, 200)).save(buffer, "PNG", pnginfo=info)
    data = buffer.getvalue()
    assert text.encode() in data
    return data


class SecurityWorld:
    """One planet ("moon" unless told), one person per role, paid content with canaries.

    Objects are kept by id (the ORM rows may be expired or detached after a snapshot restore):
    `world.ids["topic"]`, `world.uid("member")`, `world.mid("author")`.
    """

    def __init__(self, app, slug: str = "moon", content: bool = True, **settings):
        self.app = app
        self.slug = slug
        owner = factories.user(name="Owner")
        settings.setdefault("price_amount", 9900)
        planet = factories.planet(owner, slug=slug, **settings)
        self.planet_id = planet.id
        self.user_ids = {"owner": owner.id}
        self.membership_ids = {}
        for name, role in (("admin", Role.ADMIN), ("guest", Role.GUEST), ("member", Role.MEMBER)):
            self._add(planet, name, role=role)
        self._add(planet, "expired", expires_in=timedelta(seconds=-1))
        self._add(planet, "banned", status=MembershipStatus.BANNED)
        self._add(planet, "refunded", status=MembershipStatus.REFUNDED)
        now = utcnow()
        self._add(
            planet, "grace", expires_in=timedelta(days=-1), grace_until=now + timedelta(days=3)
        )
        self._add(planet, "trial", expires_in=timedelta(days=7), is_trial=True)
        self._add(planet, "author")
        self.user_ids["outsider"] = factories.user(name="Outsider").id
        self.membership_ids["owner"] = db.session.scalar(
            select(Membership.id).where(
                Membership.planet_id == planet.id, Membership.user_id == owner.id
            )
        )
        self.ids: dict[str, int] = {}
        self.attachment_key = ""
        self._clients = {}
        if content:
            self.add_content()

    def _add(self, planet, name, **fields):
        person = factories.user(name=f"The {name}")
        self.membership_ids[name] = factories.member(planet, person, **fields).id
        self.user_ids[name] = person.id
        return person

    # ---------------------------------------------------------------- access to rows

    @property
    def planet(self) -> Planet:
        return db.session.get(Planet, self.planet_id)

    def user(self, who: str) -> User:
        return db.session.get(User, self.user_ids[who])

    def uid(self, who: str) -> int:
        return self.user_ids[who]

    def mid(self, who: str) -> int:
        return self.membership_ids[who]

    def membership(self, who: str) -> Membership:
        return db.session.get(Membership, self.membership_ids[who])

    def add_content(self):
        """Paid content: a topic (with a hashtag and an image), an answered and an open
        question, and a comment by "author", each carrying a canary."""
        planet, owner = self.planet, self.user("owner")
        image = FileStorage(
            stream=BytesIO(canary_png()), filename=f"{FILE_NAME_CANARY}.png", name="images"
        )
        with self.app.test_request_context():
            topic = content_services.create_topic(
                planet, owner, title=TITLE_CANARY, body=f"{TOPIC_CANARY} #{TAG}", images=[image]
            )
            document = FileStorage(
                stream=BytesIO(canary_zip()), filename=f"{FILE_NAME_CANARY}.zip", name="documents"
            )
            self.ids["file"] = library.store(planet, owner, document, topic=topic).id
            db.session.flush()
        attachment = db.session.scalar(select(Attachment).where(Attachment.topic_id == topic.id))
        self.attachment_key = attachment.key
        self.ids["topic"] = topic.id
        self.ids["attachment"] = attachment.id
        db.session.commit()
        member = self.user("member")
        self.ids["question"] = factories.question(
            planet, member, owner, body=QUESTION_CANARY, answer=ANSWER_CANARY
        ).id
        self.ids["open_question"] = factories.question(
            planet, member, owner, body=OPEN_QUESTION_CANARY
        ).id
        topic = db.session.get(Topic, self.ids["topic"])
        self.ids["comment"] = factories.comment(topic, self.user("author"), COMMENT_CANARY).id

    def add_paid_questions(self):
        """Paid questions (付费提问): the member's answered one with a private answer, the
        member's one waiting for the owner (paid: a succeeded payment and its escrow), and the
        outsider's (a visitor's) one waiting for the owner."""
        from payments import ledger
        from payments.models import Payment, PaymentKind, PaymentStatus

        planet, now = self.planet, utcnow()
        member, owner = self.user("member"), self.user("owner")
        private = factories.question(planet, member, owner, "Paid?", answer=PRIVATE_ANSWER_CANARY)
        private.paid_status, private.price = PaidStatus.ANSWERED, PAID_PRICE
        private.answer_private, private.in_feed = True, False
        self.ids["private_question"] = private.id
        waiting = factories.question(planet, member, owner, "Paid and waiting?")
        own = factories.question(planet, self.user("outsider"), owner, OWN_PAID_QUESTION_CANARY)
        for topic in (waiting, own):
            topic.paid_status, topic.price = PaidStatus.WAITING, PAID_PRICE
            topic.due_at = now + timedelta(hours=48)
        self.ids["paid_waiting"], self.ids["own_paid_question"] = waiting.id, own.id
        payment = Payment(
            planet_id=planet.id, user_id=member.id, kind=PaymentKind.QUESTION,
            status=PaymentStatus.SUCCEEDED, amount=PAID_PRICE, list_price=PAID_PRICE,
            currency=planet.currency, topic_id=waiting.id,
            provider_intent_id=f"pi_paid_waiting_{self.slug}", paid_at=now, attempts=1,
            refunded_amount=0, created_at=now,
        )  # fmt: skip
        db.session.add(payment)
        db.session.flush()
        ledger.write_escrow(payment, now)
        db.session.commit()

    def set_offers(self, audience: Audience) -> None:
        """The owner and the guest ask `PAID_PRICE` for a question, from `audience`."""
        for who in ("owner", "guest"):
            db.session.add(
                QuestionOffer(planet_id=self.planet_id, user_id=self.uid(who), price=PAID_PRICE,
                              audience=audience, created_at=utcnow())
            )  # fmt: skip

    def add_column(self):
        """A column holding one topic (a lesson whose text carries COLUMN_CANARY); its title
        and the lesson's title are public on the landing page by design."""
        from planet.content.columns.models import Column, ColumnEntry

        owner = self.user("owner")
        lesson = factories.topic(self.planet, owner, COLUMN_CANARY, title=LESSON_TITLE)
        column = Column(planet_id=self.planet_id, author_id=owner.id, title=COLUMN_TITLE)
        db.session.add(column)
        db.session.flush()
        db.session.add(ColumnEntry(column_id=column.id, topic_id=lesson.id, position=0))
        column.entry_count = 1
        db.session.commit()
        self.ids["column"] = column.id
        self.ids["lesson"] = lesson.id

    def add_drafts(self):
        """The owner's draft, scheduled topic and scheduled announcement (see the canaries),
        each with the planet's hashtag."""
        from planet.content.drafts.models import Draft, DraftState

        later = utcnow() + timedelta(days=3)
        rows = {
            "draft": Draft(body=f"{DRAFT_CANARY} #{TAG}", title=f"{DRAFT_CANARY}Title"),
            "scheduled": Draft(body=f"{SCHEDULED_CANARY} #{TAG}", state=DraftState.SCHEDULED,
                               publish_at=later),
            "scheduled_announcement": Draft(body=SCHEDULED_ANNOUNCEMENT_CANARY, announce=True,
                                            state=DraftState.SCHEDULED, publish_at=later),
        }  # fmt: skip
        for name, draft in rows.items():
            draft.planet_id, draft.author_id = self.planet_id, self.uid("owner")
            db.session.add(draft)
            db.session.flush()
            self.ids[name] = draft.id
        db.session.commit()

    def set(self, **settings):
        planet = self.planet
        for key, value in settings.items():
            setattr(planet, key, value)
        db.session.commit()

    def client(self, who: str):
        if who not in self._clients:
            client = self.app.test_client()
            if who != "anonymous":
                login(client, self.user(who))
            self._clients[who] = client
        return self._clients[who]

    def sign_in_everyone(self):
        """Sign every person in (before a snapshot: a client signed in later loses its
        server-side session when the snapshot is restored)."""
        for who in (*ROLES, "author"):
            self.client(who)

    def url(self, path: str = "") -> str:
        return f"/p/{self.slug}/{path}"


class Snapshot:
    """Copy an in-memory SQLite database aside and put it back (sqlite3 backup API): a world
    built once per module, restored before each case in a few milliseconds."""

    def __init__(self):
        self._copy = sqlite3.connect(":memory:", check_same_thread=False)
        self.take()

    @staticmethod
    def _live():
        db.session.remove()
        return db.engine.raw_connection().driver_connection

    def take(self):
        self._live().backup(self._copy)

    def restore(self):
        self._copy.backup(self._live())
        db.session.remove()


@contextmanager
def module_app(tmp_path_factory, name: str = "security"):
    """An app on its own in-memory SQLite database, with an app context, for a whole module."""
    app = make_test_app("sqlite://", tmp_path_factory.mktemp(name))
    with app.app_context():
        db.create_all()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def body_of(response) -> str:
    return response.get_data(as_text=True)


def refused_status(response, planet_slug: str | None = None) -> bool:
    """A refusal: 401/403/404, or a redirect to the landing or the login page."""
    if response.status_code in (401, 403, 404):
        return True
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if "/accounts/login" in location:
            return True
        if planet_slug and location.rstrip("/").endswith(f"/p/{planet_slug}/about"):
            return True
    return False
