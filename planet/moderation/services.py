"""Sensitive words, holding, the review queue and the audit list.

Holding happens before anything is created: a member's topic, question, comment, introduction,
check-in, homework hand-in or file name whose text contains a word of the planet's list (or the
platform's) is stored as a HeldPost, shown only to
its author (as awaiting review) and to moderators. Approving it creates the content through its
own service as its author, so notifications, points and the digest follow the approval; a
rejection tells the author why. Words match as plain text, case-insensitively (never as
patterns: `.*(` is three characters). Staff (owner, admins, guests) are not held: the policy's
SKIP_REVIEW.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet import jobs, policy
from planet.accounts.models import User
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.moderation.models import AuditEntry, HeldKind, HeldPost, HeldStatus, WordList
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Planet
from planet.web.links import external_url

MAX_WORDS = 500
WORD_MAX = 50
REASON_MAX = 200
PLATFORM_WORDS = Path(__file__).with_name("platform_words.txt")


@cache
def platform_words() -> tuple[str, ...]:
    lines = PLATFORM_WORDS.read_text(encoding="utf-8").splitlines()
    return tuple(w.strip().casefold() for w in lines if w.strip() and not w.startswith("#"))


def planet_words(planet: Planet) -> list[str]:
    row = db.session.get(WordList, planet.id)
    return [w for w in (row.words if row else "").splitlines() if w]


def matching_word(planet: Planet, *texts: str) -> str | None:
    """The first sensitive word found in `texts` (plain, case-insensitive), or None."""
    haystack = "\n".join(t for t in texts if t).casefold()
    if not haystack:
        return None
    for word in (*(w.casefold() for w in planet_words(planet)), *platform_words()):
        if word and word in haystack:
            return word
    return None


def set_words(planet: Planet, actor, raw: str) -> list[str]:
    """Replace the planet's list (one word or phrase per line; blank lines and duplicates
    dropped). Refused whole, with nothing saved, when too long."""
    policy.require(actor, policy.Action.MODERATE, planet)
    words: list[str] = []
    for line in (raw or "").splitlines():
        word = line.strip()
        if not word or word.casefold() in (w.casefold() for w in words):
            continue
        if len(word) > WORD_MAX:
            raise ServiceError(_l("A word may have at most %(n)s characters.", n=WORD_MAX))
        words.append(word)
        if len(words) > MAX_WORDS:
            raise ServiceError(_l("At most %(n)s words.", n=MAX_WORDS))
    row = db.session.get(WordList, planet.id) or WordList(planet_id=planet.id)
    before = len([w for w in (row.words or "").splitlines() if w])
    row.words, row.updated_at = "\n".join(words), utcnow()
    db.session.add(row)
    record(planet, actor, "words_changed", "", f"{before} → {len(words)}")
    return words


# ---------------------------------------------------------------- holding


def word_to_review(planet: Planet, author, *texts: str) -> str | None:
    """The sensitive word that sends `author`'s submission to review, or None (staff are
    never held)."""
    if policy.may(author, policy.Action.SKIP_REVIEW, planet):
        return None
    return matching_word(planet, *texts)


def hold(planet: Planet, author, kind: HeldKind, payload: dict, word: str) -> HeldPost:
    held = HeldPost(
        planet_id=planet.id, author_id=author.id, kind=kind,
        payload=json.dumps(payload, ensure_ascii=False), word=word[:WORD_MAX],
        status=HeldStatus.HELD, created_at=utcnow(),
    )  # fmt: skip
    db.session.add(held)
    db.session.flush()
    return held


def hold_if_sensitive(planet: Planet, author, kind: HeldKind, payload: dict, *texts: str):
    """A HeldPost when `texts` contain a sensitive word and the author is not staff; None when
    the submission may be created as usual."""
    word = word_to_review(planet, author, *texts)
    return None if word is None else hold(planet, author, kind, payload, word)


def held_queue(planet: Planet, limit: int = 100) -> list[tuple[HeldPost, User]]:
    return db.session.execute(
        select(HeldPost, User)
        .join(User, User.id == HeldPost.author_id)
        .where(HeldPost.planet_id == planet.id, HeldPost.status == HeldStatus.HELD)
        .order_by(HeldPost.id)
        .limit(limit)
    ).all()


def held_of_author(planet: Planet, author_id: int, limit: int = 50) -> list[HeldPost]:
    return db.session.scalars(
        select(HeldPost)
        .where(HeldPost.planet_id == planet.id, HeldPost.author_id == author_id)
        .order_by(HeldPost.id.desc())
        .limit(limit)
    ).all()


def payload_of(held: HeldPost) -> dict:
    return json.loads(held.payload)


def _locked(planet: Planet, held_id: int) -> HeldPost:
    statement = select(HeldPost).where(HeldPost.id == held_id, HeldPost.planet_id == planet.id)
    if db.engine.dialect.name == "postgresql":
        statement = statement.with_for_update()
    held = db.session.scalar(statement)
    if held is None:
        raise NotFound(_l("Nothing is held under this number."))
    if held.status is not HeldStatus.HELD:
        raise Conflict(_l("Someone already decided on this one."))
    return held


def _replay_topic(planet, author, data, held):
    from planet.content.library import services as library
    from planet.content.services import topics

    topic = topics.create_topic(
        planet, author, title=data.get("title", ""), body=data["body"],
        attachment_keys=data.get("attachment_keys") or (),
    )  # fmt: skip
    library.attach(planet, author, topic, data.get("file_ids"))
    return topic


def _replay_question(planet, author, data, held):
    from planet.content.services import questions

    return questions.ask_question(
        planet, author, addressee_id=int(data["addressee_id"]), body=data["body"],
        anonymous=bool(data.get("anonymous")),
    )  # fmt: skip


def _replay_comment(planet, author, data, held):
    from planet.content.models import Topic
    from planet.content.services import comments

    topic = db.session.get(Topic, int(data["topic_id"]))
    if topic is None or topic.planet_id != planet.id or topic.deleted_at is not None:
        raise NotFound(_l("The topic it was written for no longer exists."))
    parent_id = data.get("parent_id")
    return comments.add_comment(planet, author, topic, data["body"], parent_id=parent_id)


def _replay_introduction(planet, author, data, held):
    from planet.engagement.introductions import services as introductions

    return introductions.write_introduction(planet, author, data["fields"])


def _replay_check_in(planet, author, data, held):
    from planet.engagement.checkins import services as checkins
    from planet.engagement.checkins.models import Challenge

    challenge = db.session.get(Challenge, int(data["challenge_id"]))
    if challenge is None or challenge.planet_id != planet.id:
        raise NotFound(_l("The challenge it was written for no longer exists."))
    # The day it was written for: checked as of then (its window, once a day).
    return checkins.check_in(
        planet, challenge, author, data["body"], image_key=data.get("image_key"),
        now=held.created_at,
    )  # fmt: skip


def _replay_submission(planet, author, data, held):
    from planet.engagement.homework import services as homework
    from planet.engagement.homework.models import Assignment

    assignment = db.session.get(Assignment, int(data["assignment_id"]))
    if assignment is None or assignment.planet_id != planet.id:
        raise NotFound(_l("The assignment it was written for no longer exists."))
    return homework.hand_in(planet, assignment, author, data["body"], now=held.created_at)


def _replay_file(planet, author, data, held):
    from planet.content.library import services as library

    row = library.file_in(planet, int(data["file_id"]))
    row.listed = True
    return row


# How each held kind becomes content: its own service, as its author.
_REPLAY = {
    HeldKind.TOPIC: _replay_topic,
    HeldKind.QUESTION: _replay_question,
    HeldKind.COMMENT: _replay_comment,
    HeldKind.INTRODUCTION: _replay_introduction,
    HeldKind.CHECK_IN: _replay_check_in,
    HeldKind.SUBMISSION: _replay_submission,
    HeldKind.FILE: _replay_file,
}

KIND_LABELS = {
    HeldKind.TOPIC: _l("Topic"),
    HeldKind.QUESTION: _l("Question"),
    HeldKind.COMMENT: _l("Comment"),
    HeldKind.INTRODUCTION: _l("Introduction"),
    HeldKind.CHECK_IN: _l("Check-in"),
    HeldKind.SUBMISSION: _l("Homework"),
    HeldKind.FILE: _l("File"),
}


def shown(held: HeldPost) -> dict:
    """What the queue and the author's own list show of a held submission: its kind, and its
    title and text as the author wrote them."""
    data = payload_of(held)
    title, body = str(data.get("title") or ""), str(data.get("body") or "")
    if held.kind is HeldKind.INTRODUCTION:
        fields = data.get("fields") or {}
        body = "\n\n".join(str(v) for v in fields.values() if v and str(v).strip())
    return {"label": KIND_LABELS[held.kind], "title": title, "body": body}


def approve(planet: Planet, actor, held_id: int):
    """Publish a held submission as its author (once, whoever clicks at the same time)."""
    policy.require(actor, policy.Action.MODERATE, planet)
    held = _locked(planet, held_id)
    author = db.session.get(User, held.author_id)
    created = _REPLAY[held.kind](planet, author, payload_of(held), held)
    _decide(held, actor, HeldStatus.APPROVED)
    held.created_ref = created.id
    record(planet, actor, "held_approved", f"{held.kind}:{held.id}", held.word)
    return created


def reject(planet: Planet, actor, held_id: int, reason: str) -> HeldPost:
    policy.require(actor, policy.Action.MODERATE, planet)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Tell the author why."))
    if len(reason) > REASON_MAX:
        raise ServiceError(_l("A reason may have at most %(n)s characters.", n=REASON_MAX))
    held = _locked(planet, held_id)
    _decide(held, actor, HeldStatus.REJECTED)
    held.reason = reason
    notifications.notify_many(
        Kind.POST_REJECTED,
        [
            notifications.Notice(
                held.author_id,
                f"held-rejected:{held.id}",
                planet=planet,
                data={
                    "reason": reason,
                    "link": external_url("moderation.mine", slug=planet.slug),
                },
            )
        ],
    )
    record(planet, actor, "held_rejected", f"{held.kind}:{held.id}", reason)
    return held


def _decide(held: HeldPost, actor, status: HeldStatus) -> None:
    held.status, held.decided_by_id, held.decided_at = status, actor.id, utcnow()


# ---------------------------------------------------------------- the audit list


def record(planet: Planet, actor, action: str, target: str = "", detail: str = "") -> AuditEntry:
    """Append one moderation action to the planet's audit list (in the caller's transaction)."""
    entry = AuditEntry(
        planet_id=planet.id, actor_id=getattr(actor, "id", None), action=action[:32],
        target=target[:64], detail=(detail or "")[:300], created_at=utcnow(),
    )  # fmt: skip
    db.session.add(entry)
    return entry


def audit_page(planet: Planet, before: int | None = None, size: int = 50):
    """([(AuditEntry, actor User or None)], next cursor) newest first."""
    statement = (
        select(AuditEntry, User)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.planet_id == planet.id)
        .order_by(AuditEntry.id.desc())
        .limit(size + 1)
    )
    if before is not None:
        statement = statement.where(AuditEntry.id < before)
    rows = db.session.execute(statement).all()
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1][0].id if more else None)


# ---------------------------------------------------------------- muting and hiding

MUTE_DAYS = (1, 3, 7, 30)
MUTE_MAX_DAYS = 365
HIDE_BATCH = 200


def mute(planet: Planet, actor, membership, days: int) -> None:
    """The member reads but does not post, ask or comment for `days` days (1–365)."""
    policy.require(actor, policy.Action.MUTE_MEMBER, planet, membership)
    if not 1 <= days <= MUTE_MAX_DAYS:
        raise ServiceError(_l("Mute for 1 to %(n)s days.", n=MUTE_MAX_DAYS))
    membership.muted_until = utcnow() + timedelta(days=days)
    policy.forget_standing(planet.id, membership.user_id)
    record(planet, actor, "muted", f"member:{membership.user_id}", f"{days}")


def unmute(planet: Planet, actor, membership) -> None:
    policy.require(actor, policy.Action.MUTE_MEMBER, planet, membership)
    membership.muted_until = None
    policy.forget_standing(planet.id, membership.user_id)
    record(planet, actor, "unmuted", f"member:{membership.user_id}")


def hide_all_of(planet: Planet, actor, user_id: int) -> None:
    """Hide everything a (banned) member wrote in the planet, in the background: their topics,
    questions and comments are deleted through their own services, counters and feed kept right."""
    policy.require(actor, policy.Action.MODERATE, planet)
    record(planet, actor, "content_hidden", f"member:{user_id}")
    jobs.defer("moderation.hide_content", planet_id=planet.id, user_id=user_id, actor_id=actor.id)


def _hide_batch(planet: Planet, actor, user_id: int) -> int:
    from planet.content.models import Comment, Topic
    from planet.content.services import comments, topics

    hidden = 0
    for topic in db.session.scalars(
        select(Topic)
        .where(Topic.planet_id == planet.id, Topic.author_id == user_id, Topic.deleted_at.is_(None))
        .limit(HIDE_BATCH)
    ):
        topics.delete_topic(planet, actor, topic)
        hidden += 1
    for comment in db.session.scalars(
        select(Comment)
        .where(
            Comment.planet_id == planet.id,
            Comment.author_id == user_id,
            Comment.deleted_at.is_(None),
        )
        .limit(HIDE_BATCH)
    ):
        comments.delete_comment(planet, actor, comment)
        hidden += 1
    return hidden


@jobs.handler("moderation.hide_content")
def hide_content(planet_id: int, user_id: int, actor_id: int, **_ignored) -> int:
    planet = db.session.get(Planet, planet_id)
    actor = db.session.get(User, actor_id)
    if planet is None or actor is None:
        return 0
    total = 0
    while hidden := _hide_batch(planet, actor, user_id):
        total += hidden
        jobs.commit()
    return total
