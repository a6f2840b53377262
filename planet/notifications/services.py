"""Notification services: create (once per dedupe key), list, mark read, preferences, and the
email that goes with a notification (through the outbox, in the recipient's language).

Every notification about content asks planet.policy whether the recipient may read it at the
moment it is created; a notification never carries paid content itself (only names and links).
The one mail that does is an announcement's, to members who may read it: its title and the
start of its text.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import bindparam, case, func, select, update

from planet.accounts.models import User
from planet.content.models import Topic
from planet.dbutil import dialect_insert
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.models import utcnow
from planet.notifications import outbox, tokens
from planet.notifications.models import (
    EMAIL_DEFAULTS,
    DigestFrequency,
    DigestSubscription,
    Kind,
    Notification,
    NotificationPreference,
)
from planet.planets.models import Planet
from planet.text import markdown_text, render_markdown, shorten_markdown
from planet.web.links import external_url

UNREAD_CAP = 99

TITLES = {
    Kind.QUESTION_ANSWERED: _l("%(actor)s answered your question in %(planet)s"),
    Kind.QUESTION_ASKED: _l("%(actor)s asked you a question in %(planet)s"),
    Kind.COMMENT_REPLY: _l("%(actor)s replied to your comment in %(planet)s"),
    Kind.TOPIC_COMMENT: _l("%(actor)s commented on your topic in %(planet)s"),
    Kind.MENTION: _l("%(actor)s mentioned you in %(planet)s"),
    Kind.MEMBER_JOINED: _l("New members joined %(planet)s"),  # with a count: title_of()
    Kind.REPORT_FILED: _l("A report was filed in %(planet)s"),
    Kind.ANNOUNCEMENT: _l("New announcement in %(planet)s"),
    Kind.PAYMENT_RECEIVED: _l("We received your payment of %(amount)s for %(planet)s"),
    Kind.REFUND_DONE: _l("Your refund of %(amount)s for %(planet)s is done"),
    Kind.RENEWAL_FAILED: _l("We could not renew your membership of %(planet)s"),
    Kind.RENEWAL_REMINDER: _l("Your membership of %(planet)s ends on %(date)s"),
    Kind.MEMBERSHIP_EXPIRED: _l("Your membership of %(planet)s has expired"),
    Kind.MEMBERSHIP_RENEWED: _l("Your membership of %(planet)s was renewed until %(date)s"),
    Kind.CHECKIN_REMINDER: _l("You have not checked in to “%(title)s” in %(planet)s today"),
    Kind.EVENT_REMINDER: _l("“%(title)s” in %(planet)s starts soon"),
    Kind.INTRODUCTION_REMINDER: _l("Introduce yourself to the members of %(planet)s"),
    Kind.ASSIGNMENT_POSTED: _l("New homework in %(planet)s: “%(title)s”"),
    Kind.HOMEWORK_GRADED: _l("Your homework “%(title)s” in %(planet)s was graded: %(score)s/100"),
    Kind.MESSAGE_RECEIVED: _l("%(actor)s sent you a private message in %(planet)s"),
    Kind.PAYMENT_DISPUTED: _l("A member's bank disputed a payment of %(amount)s in %(planet)s"),
    Kind.CAMPAIGN: _l("A message from %(planet)s: %(title)s"),
    Kind.POST_REJECTED: _l("Your post in %(planet)s was not published: %(reason)s"),
    Kind.JOIN_APPROVED: _l("Your request was approved: welcome to %(planet)s"),
    Kind.JOIN_REFUSED: _l("Your request to join %(planet)s was declined: %(reason)s"),
}

KIND_LABELS = {
    Kind.QUESTION_ANSWERED: _l("My question was answered"),
    Kind.QUESTION_ASKED: _l("Someone asked me a question"),
    Kind.COMMENT_REPLY: _l("A reply to my comment"),
    Kind.TOPIC_COMMENT: _l("A comment on my topic"),
    Kind.MENTION: _l("I was mentioned"),
    Kind.MEMBER_JOINED: _l("New members joined my planet"),
    Kind.REPORT_FILED: _l("A report was filed (moderators)"),
    Kind.ANNOUNCEMENT: _l("Announcements"),
    Kind.PAYMENT_RECEIVED: _l("Payment received"),
    Kind.REFUND_DONE: _l("Refund done"),
    Kind.RENEWAL_FAILED: _l("Renewal failed"),
    Kind.RENEWAL_REMINDER: _l("Renewal reminders"),
    Kind.MEMBERSHIP_EXPIRED: _l("Membership expired"),
    Kind.MEMBERSHIP_RENEWED: _l("Membership renewed"),
    Kind.CHECKIN_REMINDER: _l("Check-in reminders"),
    Kind.EVENT_REMINDER: _l("Event reminders"),
    Kind.INTRODUCTION_REMINDER: _l("Introduction reminders"),
    Kind.ASSIGNMENT_POSTED: _l("New homework"),
    Kind.HOMEWORK_GRADED: _l("My homework was graded"),
    Kind.MESSAGE_RECEIVED: _l("A private message"),
    Kind.PAYMENT_DISPUTED: _l("A payment was disputed (owners)"),
    Kind.CAMPAIGN: _l("Messages from a planet's owner to a group of members"),
    Kind.POST_REJECTED: _l("A post of mine was not published after review"),
    Kind.JOIN_APPROVED: _l("My request to join was approved"),
    Kind.JOIN_REFUSED: _l("My request to join was declined"),
}


def format_amount(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency.upper()}"


def title_of(notification: Notification, data: dict | None = None) -> str:
    data = data if data is not None else json.loads(notification.data or "{}")
    values = {"actor": "", "planet": "", "count": notification.count, "amount": "", "date": ""}
    values["score"] = ""
    values["title"] = ""
    values["reason"] = ""
    values.update({k: v for k, v in data.items() if isinstance(v, str | int)})
    values["count"] = notification.count
    if notification.kind is Kind.MEMBER_JOINED:
        return ngettext(
            "%(num)s new member joined %(planet)s",
            "%(num)s new members joined %(planet)s",
            notification.count,
            planet=values["planet"],
        )
    return str(TITLES[notification.kind]) % values


def link_of(notification: Notification, data: dict | None = None) -> str:
    data = data if data is not None else json.loads(notification.data or "{}")
    return data.get("link", "")


# ---------------------------------------------------------------- creating


@dataclass(frozen=True)
class Notice:
    """One recipient's notification, for notify_many() (the arguments of notify())."""

    user_id: int
    dedupe_key: str
    planet: Planet | None = None
    actor: User | None = None
    topic_id: int | None = None
    data: dict | None = None


def notify(
    user_id: int,
    kind: Kind,
    dedupe_key: str,
    *,
    planet: Planet | None = None,
    actor: User | None = None,
    topic_id: int | None = None,
    data: dict | None = None,
    email: bool = True,
) -> int | None:
    """Create a notification once per `dedupe_key` (a re-run adds nothing) and queue its email
    when the recipient wants email for this kind. Returns the new id or None."""
    notice = Notice(user_id, dedupe_key, planet, actor, topic_id, data)
    created = notify_many(kind, [notice], email=email)
    return created[0].id if created else None


def notify_many(kind: Kind, notices: list[Notice], *, email: bool = True) -> list[Notification]:
    """notify() for many recipients at once (a sweep's batch): one INSERT for the
    notifications, one query for the email choices, one for the recipients and one INSERT for
    the emails, whatever the number. Returns the notifications created now."""
    if not notices:
        return []
    now = utcnow()
    created = db.session.scalars(
        dialect_insert(Notification)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification),
        [_notification_row(kind, notice, now) for notice in notices],
    ).all()
    _add_unread(Counter(n.user_id for n in created))
    if email and created:
        wanted = emails_wanted({n.user_id for n in created}, kind)
        email_notifications([n for n in created if n.user_id in wanted])
    return created


_users = User.__table__


def _add_unread(added: Counter) -> None:
    """Raise each recipient's badge by the notifications just created (one statement for a
    batch; an increment, so concurrent writers add up)."""
    if not added:
        return
    db.session.execute(
        update(_users)
        .where(_users.c.id == bindparam("recipient"))
        .values(unread_notifications=_users.c.unread_notifications + bindparam("added")),
        [{"recipient": user_id, "added": count} for user_id, count in sorted(added.items())],
    )


def _subtract_unread(user_id: int, read: int) -> None:
    """Lower the badge by notifications just marked read (never below zero)."""
    if read <= 0:
        return
    column = _users.c.unread_notifications
    db.session.execute(
        update(_users)
        .where(_users.c.id == user_id)
        .values(unread_notifications=case((column > read, column - read), else_=0))
    )


def _notification_row(kind: Kind, notice: Notice, now) -> dict:
    payload = dict(notice.data or {})
    if notice.planet is not None:
        payload.setdefault("planet", notice.planet.name)
        payload.setdefault("planet_slug", notice.planet.slug)
    if notice.actor is not None:
        payload.setdefault("actor", notice.actor.display_name)
    return {
        "user_id": notice.user_id,
        "kind": kind,
        "planet_id": notice.planet.id if notice.planet else None,
        "actor_id": notice.actor.id if notice.actor else None,
        "topic_id": notice.topic_id,
        "count": 1,
        "data": json.dumps(payload, ensure_ascii=False),
        "dedupe_key": notice.dedupe_key[:120],
        "created_at": now,
    }


def notify_member_joined(planet: Planet, recipient_id: int, joiner: User) -> None:
    """New members are batched into one unread line per planet for the owner."""
    line = db.session.scalar(
        select(Notification)
        .where(
            Notification.user_id == recipient_id,
            Notification.kind == Kind.MEMBER_JOINED,
            Notification.planet_id == planet.id,
            Notification.read_at.is_(None),
        )
        .order_by(Notification.id.desc())
        .limit(1)
        .with_for_update()
    )
    if line is not None:
        data = json.loads(line.data)
        joined = data.get("user_ids", [])
        if joiner.id in joined:
            return  # a re-run of the same join
        line.count += 1
        data["user_ids"] = (joined + [joiner.id])[-50:]
        data["actor"] = joiner.display_name
        line.data = json.dumps(data, ensure_ascii=False)
        line.created_at = utcnow()
        return
    notify(
        recipient_id,
        Kind.MEMBER_JOINED,
        f"joined:{planet.id}:{joiner.id}",
        planet=planet,
        actor=joiner,
        data={
            "user_ids": [joiner.id],
            "link": external_url("members.roster", slug=planet.slug),
        },
    )


def wants_email(user_id: int, kind: Kind) -> bool:
    return user_id in emails_wanted({user_id}, kind)


def emails_wanted(user_ids: set[int], kind: Kind) -> set[int]:
    """Which of these users want email for `kind` (no stored choice: the kind's default)."""
    choices = dict(
        db.session.execute(
            select(NotificationPreference.user_id, NotificationPreference.email).where(
                NotificationPreference.kind == kind,
                NotificationPreference.user_id.in_(user_ids),
            )
        ).all()
    )
    default = EMAIL_DEFAULTS[kind]
    return {user_id for user_id in user_ids if choices.get(user_id, default)}


def email_notifications(notifications: list[Notification]) -> list[int]:
    """Queue the email of each notification (one query for the recipients, one for the
    announcements they carry, one INSERT)."""
    user_ids = {n.user_id for n in notifications}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    announcements = _announcements(notifications)
    emails = [
        _notification_email(n, users.get(n.user_id), announcements.get(n.topic_id))
        for n in notifications
    ]
    return outbox.queue_emails([e for e in emails if e is not None])


@dataclass(frozen=True)
class AnnouncementText:
    """What an announcement's mail carries: its title and the start of its text, as sanitized
    HTML and as plain text, and whether the text goes on past ANNOUNCEMENT_MAIL_CHARS."""

    title: str
    html: str
    text: str
    cut: bool


ANNOUNCEMENT_MAIL_CHARS = 2000


def _announcements(notifications: list[Notification]) -> dict[int, AnnouncementText]:
    """The announcements these notifications are about (members get their text by mail: the
    handler asked the policy that each recipient may read it), rendered once per topic."""
    topic_ids = {n.topic_id for n in notifications if n.kind is Kind.ANNOUNCEMENT and n.topic_id}
    if not topic_ids:
        return {}
    found = {}
    for topic in db.session.scalars(select(Topic).where(Topic.id.in_(topic_ids))):
        if topic.deleted_at is None:
            body, cut = shorten_markdown(topic.body, ANNOUNCEMENT_MAIL_CHARS)
            found[topic.id] = AnnouncementText(
                topic.title, render_markdown(body), markdown_text(body), cut
            )
    return found


def _notification_email(
    notification: Notification, user: User | None, announcement: AnnouncementText | None = None
) -> outbox.Email | None:
    if user is None or not user.email:
        return None
    data = json.loads(notification.data or "{}")
    base = current_app.config["BASE_URL"].rstrip("/")
    link = link_of(notification, data)
    with in_recipient_language(user):
        title = title_of(notification, data)
        context = {
            "user": user,
            "title": title,
            "link": base + link if link.startswith("/") else link,
            # Money notices (payments) link the member's memberships page: receipts, renewal.
            "memberships_url": data.get("memberships_link", ""),
            "message": data.get("body", ""),
            "notifications_url": external_url("notifications.index"),
            "preferences_url": external_url("notifications.preferences"),
            "notification": notification,
            "announcement": announcement,
        }
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
    return outbox.Email(user.email, f"notification:{notification.id}", title, text, html)


# ---------------------------------------------------------------- reading


@functools.cache
def _unread_count_statement():
    """Built once (every signed-in page runs it): a reused statement keeps its cache key."""
    inner = (
        select(Notification.id)
        .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
        .limit(UNREAD_CAP + 1)
        .subquery()
    )
    return select(func.count()).select_from(inner)


def badge(unread: int) -> str:
    """The top bar's badge for a count of unread notifications ("" for none, "99+" past the
    cap); the count is the user's `unread_notifications` column, loaded with the login."""
    if unread <= 0:
        return ""
    return f"{UNREAD_CAP}+" if unread > UNREAD_CAP else str(unread)


def unread_count(user_id: int) -> int:
    """Unread notifications, counted up to UNREAD_CAP + 1 (an index range, never a table)."""
    return db.session.scalar(_unread_count_statement(), {"user_id": user_id}) or 0


def list_for(user_id: int, after: int | None, limit: int) -> list[Notification]:
    statement = select(Notification).where(Notification.user_id == user_id)
    if after is not None:
        statement = statement.where(Notification.id < after)
    return list(db.session.scalars(statement.order_by(Notification.id.desc()).limit(limit)))


def mark_read(user_id: int, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (all when no ids). Others' ids are ignored."""
    statement = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    result = db.session.execute(
        statement.values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    _subtract_unread(user_id, result.rowcount)
    return result.rowcount


def mark_messages_read(user_id: int, planet_id: int, sender_id: int) -> int:
    """Mark the notices of private messages from `sender_id` in a planet read (the person has
    read that conversation)."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.kind == Kind.MESSAGE_RECEIVED,
            Notification.planet_id == planet_id,
            Notification.actor_id == sender_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    _subtract_unread(user_id, result.rowcount)
    return result.rowcount


def preferences_of(user_id: int) -> dict[Kind, bool]:
    stored = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.email).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {kind: stored.get(kind, EMAIL_DEFAULTS[kind]) for kind in Kind}


def set_preferences(user_id: int, email_kinds: set[Kind]) -> None:
    existing = {
        row.kind: row
        for row in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    for kind in Kind:
        wanted = kind in email_kinds
        row = existing.get(kind)
        if row is None:
            db.session.add(NotificationPreference(user_id=user_id, kind=kind, email=wanted))
        else:
            row.email = wanted
    db.session.flush()


# ---------------------------------------------------------------- digests


def digest_frequency(user_id: int, planet_id: int) -> DigestFrequency:
    value = db.session.scalar(
        select(DigestSubscription.frequency).where(
            DigestSubscription.user_id == user_id, DigestSubscription.planet_id == planet_id
        )
    )
    return value or DigestFrequency.WEEKLY


def set_digest_frequency(user_id: int, planet_id: int, frequency: DigestFrequency) -> None:
    row = db.session.scalar(
        select(DigestSubscription).where(
            DigestSubscription.user_id == user_id, DigestSubscription.planet_id == planet_id
        )
    )
    if row is None:
        db.session.add(
            DigestSubscription(user_id=user_id, planet_id=planet_id, frequency=frequency)
        )
    else:
        row.frequency = frequency
    db.session.flush()


def unsubscribe_with_token(token: str) -> tuple[int, int] | None:
    """The one-click unsubscribe: a valid signed token switches that planet's digest off."""
    parsed = tokens.read_unsubscribe_token(token)
    if parsed is None:
        return None
    user_id, planet_id = parsed
    if db.session.get(User, user_id) is None or db.session.get(Planet, planet_id) is None:
        return None
    set_digest_frequency(user_id, planet_id, DigestFrequency.OFF)
    return user_id, planet_id
