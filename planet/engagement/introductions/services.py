"""Self-introductions from the owner's template, the searchable directory and reminders."""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from planet import jobs, policy
from planet.accounts.models import User
from planet.dbutil import insert_ignore
from planet.engagement.clock import local_day
from planet.engagement.columns import joins_membership
from planet.engagement.introductions.models import (
    Introduction,
    IntroductionReminder,
    IntroductionTag,
    IntroductionTemplate,
)
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, Planet
from planet.web import shortcache

SECTIONS = ("who", "work", "offer", "seeking")
DEFAULT_PROMPTS = {
    "who": _l("Who I am"),
    "work": _l("What I do"),
    "offer": _l("What I can offer"),
    "seeking": _l("What I am looking for"),
}
SECTION_MAX = 2000
MAX_TAGS = 12
TAG_MAX = 40
_TAG_SPLIT = re.compile(r"[,，、;；#\s]+")


def template_prompts(planet_id: int) -> dict[str, str]:
    row = db.session.get(IntroductionTemplate, planet_id)
    prompts = {key: str(value) for key, value in DEFAULT_PROMPTS.items()}
    if row is not None:
        prompts.update({k: v for k, v in (row.prompts or {}).items() if k in SECTIONS and v})
    return prompts


def update_template(planet: Planet, actor, prompts: dict[str, str]) -> IntroductionTemplate:
    policy.require(actor, policy.Action.EDIT_SETTINGS, planet)
    row = db.session.get(IntroductionTemplate, planet.id)
    if row is None:
        row = IntroductionTemplate(planet_id=planet.id)
        db.session.add(row)
    # A prompt left as the default is not stored, so it stays translated for every reader
    # (the form shows the defaults in the owner's language).
    row.prompts = {
        k: text if text != str(DEFAULT_PROMPTS[k]) else ""
        for k in SECTIONS
        for text in [(prompts.get(k) or "").strip()[:300]]
    }
    row.updated_at = utcnow()
    db.session.flush()
    return row


def parse_tags(raw: str) -> list[str]:
    tags: list[str] = []
    for piece in _TAG_SPLIT.split(raw or ""):
        piece = piece.strip()
        if not piece:
            continue
        if len(piece) > TAG_MAX:
            raise ServiceError(_l("A tag may have at most 40 characters."))
        if piece.lower() not in [t.lower() for t in tags]:
            tags.append(piece)
    if len(tags) > MAX_TAGS:
        raise ServiceError(_l("At most 12 skills or tags."))
    return tags


def introduction_of(planet_id: int, user_id: int) -> Introduction | None:
    return db.session.scalar(
        select(Introduction).where(
            Introduction.planet_id == planet_id, Introduction.user_id == user_id
        )
    )


def has_introduction(planet_id: int, user_id: int):
    """An EXISTS expression (to read inside another statement): has the user introduced
    themselves in this planet?"""
    return (
        exists()
        .where(Introduction.planet_id == planet_id, Introduction.user_id == user_id)
        .correlate(None)
    )


INTRODUCED = "introduced"


def is_introduced(planet_id: int, user_id: int) -> bool:
    """Has the user introduced themselves here (kept a few seconds per process for the strip
    under the header; writing an introduction invalidates it)."""
    return shortcache.cached(
        INTRODUCED,
        planet_id,
        lambda: bool(db.session.scalar(select(has_introduction(planet_id, user_id)))),
        user_id,
    )


def write_introduction(planet: Planet, user, fields: dict) -> Introduction:
    """Create or update the user's introduction in this planet."""
    policy.require(user, policy.Action.WRITE_INTRODUCTION, planet)
    for key in SECTIONS:
        if len(fields.get(key) or "") > SECTION_MAX:
            raise ServiceError(_l("Each section may have at most 2000 characters."))
    if not any((fields.get(key) or "").strip() for key in SECTIONS):
        raise ServiceError(_l("Write at least one section of your introduction."))
    tags = parse_tags(fields.get("tags") or "")
    city = (fields.get("city") or "").strip()[:60]
    intro = introduction_of(planet.id, user.id)
    if intro is None:
        intro = Introduction(planet_id=planet.id, user_id=user.id)
        db.session.add(intro)
    for key in SECTIONS:
        setattr(intro, key, (fields.get(key) or "").strip())
    intro.city = city
    intro.city_key = city.lower()
    intro.tags = tags
    intro.contact = (fields.get("contact") or "").strip()[:200]
    # The public fields only: the name is matched apart, for those allowed to see names.
    intro.search_text = " ".join([*(getattr(intro, k) for k in SECTIONS), city, *tags]).lower()
    intro.updated_at = utcnow()
    db.session.flush()
    db.session.execute(
        IntroductionTag.__table__.delete().where(IntroductionTag.introduction_id == intro.id)
    )
    for tag in tags:
        db.session.add(
            IntroductionTag(planet_id=planet.id, introduction_id=intro.id, tag=tag.lower())
        )
    db.session.flush()
    shortcache.invalidate(INTRODUCED, planet.id, user.id)
    return intro


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_directory(
    planet: Planet,
    *,
    text: str = "",
    tag: str = "",
    city: str = "",
    after: int | None = None,
    limit: int = 20,
    match_names: bool = False,
):
    """Introductions of active members, newest first, keyset by id; filtered by tag, city, text.

    The text matches the introduction's public fields, and the member's name only when
    `match_names` (the viewer may see names): otherwise typing a name would tell a visitor
    which anonymous introduction is whose."""
    now = utcnow()
    query = (
        select(Introduction)
        .join(Membership, joins_membership(Introduction))
        .join(User, User.id == Introduction.user_id)
        .where(
            Introduction.planet_id == planet.id,
            Membership.active_at(now),
        )
        .options(contains_eager(Introduction.user))
    )
    if tag.strip():
        query = query.where(
            exists().where(
                IntroductionTag.introduction_id == Introduction.id,
                IntroductionTag.planet_id == planet.id,
                IntroductionTag.tag == tag.strip().lower(),
            )
        )
    if city.strip():
        query = query.where(Introduction.city_key == city.strip().lower())
    if text.strip():
        pattern = f"%{_escape_like(text.strip().lower())}%"
        matches = Introduction.search_text.like(pattern, escape="\\")
        if match_names:
            matches = or_(matches, func.lower(User.display_name).like(pattern, escape="\\"))
        query = query.where(matches)
    if after is not None:
        query = query.where(Introduction.id < after)
    rows = db.session.scalars(query.order_by(Introduction.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def members_without_introduction(planet: Planet, after: int | None = None, limit: int = 50):
    """Active members who have not introduced themselves (owner's view), keyset by membership id."""
    now = utcnow()
    query = (
        select(Membership)
        .where(
            Membership.planet_id == planet.id,
            Membership.active_at(now),
            ~exists().where(
                Introduction.planet_id == planet.id, Introduction.user_id == Membership.user_id
            ),
        )
        .options(joinedload(Membership.user))
    )
    if after is not None:
        query = query.where(Membership.id > after)
    rows = db.session.scalars(query.order_by(Membership.id).limit(limit + 1)).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def remind_to_introduce(planet: Planet, actor, user_ids: list[int], now: datetime | None = None):
    """Remind members without an introduction (at most once per member and local day)."""
    policy.require(actor, policy.Action.EDIT_SETTINGS, planet)
    now = now or utcnow()
    day = local_day(planet, now)
    sent = 0
    for user_id in user_ids[:200]:
        if introduction_of(planet.id, user_id) is not None:
            continue
        membership = db.session.scalar(
            select(Membership).where(
                Membership.planet_id == planet.id, Membership.user_id == user_id
            )
        )
        if membership is None or policy.membership_state(membership, now)[0] is not (
            policy.MemberState.ACTIVE
        ):
            continue
        if insert_ignore(
            IntroductionReminder,
            dict(planet_id=planet.id, user_id=user_id, day=day, sent_at=now),
            ["planet_id", "user_id", "day"],
        ):
            jobs.defer("engagement.introduction_reminder", planet_id=planet.id, user_id=user_id)
            sent += 1
    db.session.flush()
    return sent
