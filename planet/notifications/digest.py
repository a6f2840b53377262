"""Digests: what is new in a planet over a period, for one member, and only what that member
may read at send time (every item is put to planet.policy).

The planet's candidate items are loaded once per (planet, period) and shared by a batch of
members (`DigestSource`); each member's copy is filtered through the policy with the member's
own standing, so a batch of N members costs O(planets + N) queries, not O(N × items).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select

from planet import policy
from planet.accounts.models import User
from planet.content.models import Comment, Topic, TopicKind
from planet.extensions import db
from planet.mail import recipient_language
from planet.notifications import outbox, tokens
from planet.notifications.models import DigestFrequency
from planet.planets.models import Membership, Planet
from planet.web.clock import viewer_zone_name

ITEMS = 8


def excerpt(html: str, length: int = 160) -> str:
    text = " ".join(nh3.clean(html or "", tags=set()).split())
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass
class DigestSource:
    """A planet's candidate digest items for one period."""

    planet: Planet
    since: datetime
    until: datetime
    topics: list[Topic] = field(default_factory=list)
    essence: list[Topic] = field(default_factory=list)
    answered: list[Topic] = field(default_factory=list)
    comments: list[tuple[Comment, Topic]] = field(default_factory=list)
    events: list = field(default_factory=list)
    rendered: dict = field(default_factory=dict)  # shared copies, see _rendered

    @classmethod
    def load(cls, planet: Planet, since: datetime, until: datetime) -> DigestSource:
        source = cls(planet, since, until)
        in_period = (Topic.feed_at >= since, Topic.feed_at < until)
        base = select(Topic).where(
            Topic.planet_id == planet.id,
            Topic.in_feed.is_(True),
            Topic.deleted_at.is_(None),
            *in_period,
        )
        source.topics = list(
            db.session.scalars(
                base.where(Topic.kind == TopicKind.POST)
                .order_by(Topic.feed_at.desc(), Topic.id.desc())
                .limit(ITEMS)
            )
        )
        source.essence = list(
            db.session.scalars(
                base.where(Topic.is_essence.is_(True))
                .order_by(Topic.feed_at.desc(), Topic.id.desc())
                .limit(ITEMS)
            )
        )
        source.answered = list(
            db.session.scalars(
                base.where(Topic.kind == TopicKind.QUESTION, Topic.answered_at.is_not(None))
                .order_by(Topic.feed_at.desc(), Topic.id.desc())
                .limit(ITEMS)
            )
        )
        source.comments = list(
            db.session.execute(
                select(Comment, Topic)
                .join(Topic, Topic.id == Comment.topic_id)
                .where(
                    Comment.planet_id == planet.id,
                    Comment.created_at >= since,
                    Comment.created_at < until,
                    Comment.deleted_at.is_(None),
                    Comment.like_count > 0,
                )
                .order_by(Comment.like_count.desc(), Comment.id.desc())
                .limit(ITEMS)
            ).tuples()
        )
        source.events = _upcoming_events(planet, until)
        return source


def _upcoming_events(planet: Planet, now: datetime) -> list:
    try:
        from planet.engagement.events.models import Event
    except ImportError:  # the engagement area is optional
        return []
    return list(
        db.session.scalars(
            select(Event)
            .where(
                Event.planet_id == planet.id,
                Event.next_start_at >= now,
                Event.cancelled_at.is_(None),
            )
            .order_by(Event.next_start_at, Event.id)
            .limit(5)
        )
    )


@dataclass
class MemberDigest:
    topics: list[Topic]
    essence: list[Topic]
    answered: list[Topic]
    comments: list[tuple[Comment, Topic]]
    events: list

    @property
    def is_empty(self) -> bool:
        return not (self.topics or self.essence or self.answered or self.comments)


def compose(source: DigestSource, user: User, membership: Membership, now: datetime):
    """The member's digest, or None when they may not read the planet or nothing is new."""
    standing = policy.standing_from_membership(user, membership, now)
    planet = source.planet
    if not policy.decide_with_standing(standing, user, policy.Action.READ, planet):
        return None

    def readable(topic: Topic) -> bool:
        decision = policy.decide_with_standing(
            standing, user, policy.Action.READ_TOPIC, planet, topic
        )
        return bool(decision)

    digest = MemberDigest(
        topics=[t for t in source.topics if readable(t)],
        essence=[t for t in source.essence if readable(t)],
        answered=[t for t in source.answered if readable(t)],
        comments=[(c, t) for c, t in source.comments if readable(t)],
        events=list(source.events),
    )
    return None if digest.is_empty else digest


def period_label(frequency: DigestFrequency) -> str:
    return _("this week") if frequency is DigestFrequency.WEEKLY else _("today")


def digest_email(
    source: DigestSource,
    user: User,
    membership: Membership,
    frequency: DigestFrequency,
    period_key: str,
    now: datetime,
) -> outbox.Email | None:
    """One member's digest email, composed and rendered; None if empty or refused."""
    purpose = digest_purpose(membership.id, frequency, period_key)
    digest = compose(source, user, membership, now)
    if digest is None or not user.email:
        return None
    base = current_app.config["BASE_URL"].rstrip("/")
    planet = source.planet
    unsubscribe = f"{base}/unsubscribe/{tokens.unsubscribe_token(user.id, planet.id)}"
    subject, text, html = _rendered(source, digest, recipient_language(user), frequency)
    name = str(user.display_name)
    text = _SLOTS.sub(lambda slot: name if slot[0] == _NAME else unsubscribe, text)
    html_name, html_unsubscribe = str(escape(name)), str(escape(unsubscribe))
    html = _SLOTS.sub(lambda slot: html_name if slot[0] == _NAME else html_unsubscribe, html)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    return outbox.Email(user.email, purpose, subject, text, html, headers)


# Where the member's name and unsubscribe link go in a digest rendered once for many members:
# random per process, so no text a member writes can contain them.
_NAME = f"digest-name-{secrets.token_hex(12)}"
_UNSUBSCRIBE = f"digest-unsubscribe-{secrets.token_hex(12)}"
_SLOTS = re.compile(f"{_NAME}|{_UNSUBSCRIBE}")


@dataclass(frozen=True)
class _Reader:
    """Stands for the member while a shared copy is rendered."""

    display_name: str = _NAME


def _rendered(
    source: DigestSource, digest: MemberDigest, locale: str, frequency: DigestFrequency
) -> tuple[str, str, str]:
    """(subject, text, html) of this digest in `locale`, with slots for the member's name and
    unsubscribe link: rendered once per planet, language, time zone and set of items read
    (members who may read the same items share it), then filled per member by `digest_email`.
    The items in the key are exactly those `compose` let this member read."""
    planet = source.planet
    key = (
        locale,
        frequency,
        viewer_zone_name(planet),
        tuple(t.id for t in digest.topics),
        tuple(t.id for t in digest.essence),
        tuple(t.id for t in digest.answered),
        tuple(c.id for c, _t in digest.comments),
        tuple(e.id for e in digest.events),
    )
    cached = source.rendered.get(key)
    if cached is not None:
        return cached
    base = current_app.config["BASE_URL"].rstrip("/")
    with force_locale(locale):
        label = period_label(frequency)
        subject = _("%(planet)s: what is new %(period)s", planet=planet.name, period=label)
        context = {
            "user": _Reader(),
            "planet": planet,
            "digest": digest,
            "period": label,
            "base": base,
            "planet_url": f"{base}/p/{planet.slug}",
            "topic_url": lambda topic: f"{base}/p/{planet.slug}/t/{topic.id}",
            "excerpt": excerpt,
            "unsubscribe_url": _UNSUBSCRIBE,
            "preferences_url": f"{base}/me/notifications/preferences",
        }
        text = render_template("email/digest.txt", **context)
        html = render_template("email/digest.html", **context)
    source.rendered[key] = (subject, text, html)
    return subject, text, html


def digest_purpose(membership_id: int, frequency: DigestFrequency, period_key: str) -> str:
    return f"digest:{membership_id}:{frequency.value}:{period_key}"
