"""What goes into an export, by section. The content sections live here; other floors add
theirs (`payments` adds payments and the ledger) with `register`, so `planet` imports nothing
above it.

A section is `fn(scope) -> Iterator[(path inside the ZIP, bytes)]`; `scope` says whose data.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from planet.accounts.models import User
from planet.content.models import Answer, Attachment, Comment, Topic
from planet.engagement.introductions.models import Introduction
from planet.extensions import db
from planet.planets.models import Membership, Planet
from planet.storage import storage

PAGE = 500


@dataclass(frozen=True)
class Scope:
    """A planet's whole content (`planet_id`) or one person's own data (`user_id`)."""

    planet_id: int | None = None
    user_id: int | None = None
    viewer_id: int | None = None  # who asked for it: a private answer goes only to its readers


Section = Callable[[Scope], Iterator[tuple[str, bytes]]]
SECTIONS: dict[str, Section] = {}


def register(name: str, section: Section) -> None:
    SECTIONS[name] = section


def plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def as_json(rows) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=2, default=plain).encode()


def columns(obj, *names: str) -> dict:
    return {name: plain(getattr(obj, name)) for name in names}


def _page_lists(statement, key):
    """The rows of `statement` in keyset pages of PAGE (lists), expunged once used."""
    after = 0
    while True:
        rows = db.session.scalars(statement.where(key > after).order_by(key).limit(PAGE)).all()
        if not rows:
            return
        yield rows
        after = getattr(rows[-1], key.key)
        for row in rows:  # a large planet streams through: keep the identity map small
            db.session.expunge(row)


def _pages(statement, key):
    for rows in _page_lists(statement, key):
        yield from rows


def _names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return dict(rows.all())


def _topic_markdown(topic: Topic, answer: Answer | None, comments: list[Comment], names) -> str:
    author = "anonymous" if topic.is_anonymous else names.get(topic.author_id, "")
    lines = [
        "---",
        f"id: {topic.id}",
        f"kind: {plain(topic.kind)}",
        f"author: {json.dumps(author, ensure_ascii=False)}",
        f"created_at: {plain(topic.created_at)}",
        f"essence: {str(topic.is_essence).lower()}",
        "---",
        "",
        f"# {topic.title}" if topic.title else "",
        "",
        topic.body,
    ]
    if answer is not None:
        lines += ["", f"## Answer by {names.get(answer.author_id, '')}", "", answer.body]
    if comments:
        lines += ["", "## Comments", ""]
        lines += [
            f"- **{names.get(c.author_id, '')}** ({plain(c.created_at)}): {c.body}"
            for c in comments
        ]
    return "\n".join(lines).strip() + "\n"


def content(scope: Scope) -> Iterator[tuple[str, bytes]]:
    """Topics (Markdown, one file each, with the answer and comments), and the same as JSON."""
    statement = select(Topic).where(Topic.deleted_at.is_(None))
    if scope.planet_id is not None:
        statement = statement.where(Topic.planet_id == scope.planet_id)
    else:
        statement = statement.where(Topic.author_id == scope.user_id)
    for topics in _page_lists(statement, Topic.id):
        yield from _topic_files(topics, scope)
    if scope.user_id is not None:
        yield from _own_writing_elsewhere(scope.user_id)


def _topic_files(topics: list[Topic], scope: Scope) -> Iterator[tuple[str, bytes]]:
    """One page of topics as files: their answers, comments and names in three queries."""
    ids = [topic.id for topic in topics]
    answers = {
        a.topic_id: a for a in db.session.scalars(select(Answer).where(Answer.topic_id.in_(ids)))
    }
    comments: dict[int, list[Comment]] = {}
    for comment in db.session.scalars(
        select(Comment)
        .where(Comment.topic_id.in_(ids), Comment.deleted_at.is_(None))
        .order_by(Comment.id)
    ):
        comments.setdefault(comment.topic_id, []).append(comment)
    authors = {t.author_id for t in topics} | {a.author_id for a in answers.values()}
    names = _names(authors | {c.author_id for cs in comments.values() for c in cs})
    readable = _answer_reader(scope)
    for topic in topics:
        answer = answers.get(topic.id)
        if answer is not None and not readable(topic):
            answer = None
        said = comments.get(topic.id, [])
        folder = f"planet-{topic.planet_id}/topics" if scope.user_id else "topics"
        yield f"{folder}/{topic.id}.md", _topic_markdown(topic, answer, said, names).encode()
        record = columns(topic, "id", "planet_id", "kind", "title", "body", "created_at",
                         "is_essence", "is_announcement", "is_anonymous",
                         "answered_at")  # fmt: skip
        record["author_id"] = None if topic.is_anonymous else topic.author_id
        record["answer"] = answer and columns(answer, "id", "author_id", "body", "created_at")
        record["comments"] = [
            columns(c, "id", "author_id", "parent_id", "body", "created_at") for c in said
        ]
        yield f"{folder}/{topic.id}.json", as_json(record)


def _answer_reader(scope: Scope) -> Callable[[Topic], bool]:
    """Whether the export may hold a topic's answer. A private answer (付费提问) is the
    asker's, the answerer's and a peeker's: the export holds it only for them, as the topic
    page does (READ_ANSWER). The viewer and planets load once, not per topic."""
    from planet import policy
    from planet.content.services.paid_questions import answer_access

    viewer = db.session.get(User, scope.viewer_id or scope.user_id)

    def readable(topic: Topic) -> bool:
        if not getattr(topic, "answer_private", False):
            return True
        planet = db.session.get(Planet, topic.planet_id)  # the identity map: one load each
        access = answer_access(topic, viewer.id)
        return policy.may(viewer, policy.Action.READ_ANSWER, planet, access)

    return readable


def _own_writing_elsewhere(user_id: int) -> Iterator[tuple[str, bytes]]:
    """A person's answers and comments on topics others wrote."""
    answers = db.session.scalars(
        select(Answer).where(Answer.author_id == user_id).order_by(Answer.id)
    )
    yield (
        "answers.json",
        as_json([columns(a, "id", "topic_id", "body", "created_at") for a in answers]),
    )
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.author_id == user_id, Comment.deleted_at.is_(None))
        .order_by(Comment.id)
    )
    yield (
        "comments.json",
        as_json(
            [columns(c, "id", "planet_id", "topic_id", "body", "created_at") for c in comments]
        ),
    )


def people(scope: Scope) -> Iterator[tuple[str, bytes]]:
    """Members without contact details (no e-mail address; an introduction's contact line is
    shown to members inside the planet only and stays there)."""
    if scope.planet_id is not None:
        rows = db.session.execute(
            select(Membership, User.display_name, Introduction)
            .join(User, User.id == Membership.user_id)
            .outerjoin(
                Introduction,
                (Introduction.planet_id == Membership.planet_id)
                & (Introduction.user_id == Membership.user_id),
            )
            .where(Membership.planet_id == scope.planet_id)
            .order_by(Membership.id)
        ).all()
        yield (
            "members.json",
            as_json(
                [
                    {
                        **columns(m, "user_id", "role", "status", "started_at", "expires_at"),
                        "name": name,
                        "introduction": intro
                        and columns(intro, "who", "work", "offer", "seeking", "city", "tags"),
                    }
                    for m, name, intro in rows
                ]
            ),
        )
        return
    user = db.session.get(User, scope.user_id)
    yield "account.json", as_json(columns(user, "id", "email", "display_name", "bio", "created_at"))
    memberships = db.session.execute(
        select(Membership, Planet.name).join(Planet, Planet.id == Membership.planet_id)
        .where(Membership.user_id == scope.user_id).order_by(Membership.id)
    ).all()  # fmt: skip
    yield "memberships.json", as_json(
        [{**columns(m, "planet_id", "role", "status", "started_at", "expires_at"), "planet": name}
         for m, name in memberships]
    )  # fmt: skip


def files(scope: Scope) -> Iterator[tuple[str, bytes]]:
    """The uploaded images (a person's own, or the planet's), under files/<key>."""
    statement = select(Attachment)
    if scope.planet_id is not None:
        statement = statement.where(Attachment.planet_id == scope.planet_id)
    else:
        statement = statement.where(Attachment.uploader_id == scope.user_id)
    index = []
    from planet.content.uploads import storage_key

    for attachment in _pages(statement, Attachment.id):
        data = storage().read(storage_key(attachment.key))
        if data is None:
            continue
        yield f"files/{attachment.key}", data
        index.append(columns(attachment, "key", "filename", "content_type", "size", "created_at"))
    yield "files.json", as_json(index)


def library(scope: Scope) -> Iterator[tuple[str, bytes]]:
    """The file library (the planet's, or the files a person uploaded), under
    library/<id>-<name>, with library.json listing them."""
    from planet.content.library import services as library_services
    from planet.content.library.models import PlanetFile

    statement = select(PlanetFile).where(PlanetFile.deleted_at.is_(None))
    if scope.planet_id is not None:
        statement = statement.where(PlanetFile.planet_id == scope.planet_id)
    else:
        statement = statement.where(PlanetFile.author_id == scope.user_id)
    index = []
    for row in _pages(statement, PlanetFile.id):
        data = storage().read(library_services.file_key(row))
        if data is None:
            continue
        path = f"library/{row.id}-{row.name.replace('/', '_')}"
        yield path, data
        index.append({**columns(row, "id", "name", "kind", "content_type", "size", "topic_id",
                                "download_count", "created_at"), "path": path})  # fmt: skip
    yield "library.json", as_json(index)


def planet_settings(scope: Scope) -> Iterator[tuple[str, bytes]]:
    if scope.planet_id is None:
        return
    planet = db.session.get(Planet, scope.planet_id)
    yield (
        "planet.json",
        as_json(
            columns(
                planet,
                "id",
                "slug",
                "name",
                "description",
                "rules",
                "price_amount",
                "currency",
                "timezone",
            )  # fmt: skip
        ),
    )


register("planet", planet_settings)
register("content", content)
register("people", people)
register("files", files)
register("library", library)
