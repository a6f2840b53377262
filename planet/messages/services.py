"""Private message write operations: send and mark read. Services flush, never commit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from planet import jobs, policy
from planet.errors import NotFound, ServiceError
from planet.extensions import db
from planet.members.services import get_membership
from planet.messages.models import Conversation, Message
from planet.models import utcnow
from planet.notifications import services as notifications
from planet.planets.models import Planet

BODY_MAX = 5000


def _conversation(user_id: int, planet_id: int, counterpart_id: int) -> Conversation:
    """Get or create the inbox row (a concurrent first message is caught by the constraint)."""
    statement = select(Conversation).where(
        Conversation.user_id == user_id,
        Conversation.planet_id == planet_id,
        Conversation.counterpart_id == counterpart_id,
    )
    conversation = db.session.scalar(statement)
    if conversation is not None:
        return conversation
    conversation = Conversation(
        user_id=user_id, planet_id=planet_id, counterpart_id=counterpart_id, unread_count=0
    )
    try:
        with db.session.begin_nested():
            db.session.add(conversation)
    except IntegrityError:
        conversation = db.session.scalar(statement)
    return conversation


def recipient(planet: Planet, sender_id: int, membership) -> policy.Recipient | None:
    """The policy's target for writing to `membership`'s person: with private messages off a
    member may still answer an owner or admin who wrote to them here (one indexed lookup)."""
    if membership is None:
        return None
    wrote = db.session.scalar(
        select(Message.id)
        .where(
            Message.planet_id == planet.id,
            Message.sender_id == membership.user_id,
            Message.recipient_id == sender_id,
        )
        .limit(1)
    )
    return policy.Recipient(membership, wrote_to_sender=wrote is not None)


def send_message(planet: Planet, sender, recipient_id: int, body: str) -> Message:
    """Send a private message to a member of `planet`, as the policy allows."""
    body = (body or "").strip()
    if not body:
        raise ServiceError(_l("Write a message first."))
    if len(body) > BODY_MAX:
        raise ServiceError(_l("A message can have at most %(n)s characters.", n=BODY_MAX))
    to = recipient(planet, sender.id, get_membership(planet.id, recipient_id))
    if to is None:
        policy.require(sender, policy.Action.SEND_MESSAGE, planet)
        raise NotFound(_l("That person is not a member of this planet."))
    policy.require(sender, policy.Action.SEND_MESSAGE, planet, to)
    now = utcnow()
    message = Message(
        planet_id=planet.id,
        sender_id=sender.id,
        recipient_id=recipient_id,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    mine = _conversation(sender.id, planet.id, recipient_id)
    theirs = _conversation(recipient_id, planet.id, sender.id)
    mine.last_message_id = message.id
    mine.last_message_at = now
    theirs.last_message_id = message.id
    theirs.last_message_at = now
    theirs.unread_count = Conversation.unread_count + 1
    db.session.flush()
    _mark_read(planet.id, sender.id, recipient_id, now)
    jobs.defer("messages.sent", message_id=message.id)
    return message


def mark_read(planet: Planet, reader, counterpart_id: int) -> int:
    """Mark the counterpart's messages to `reader` in this planet read; returns how many."""
    return _mark_read(planet.id, reader.id, counterpart_id, utcnow())


def _mark_read(planet_id: int, reader_id: int, counterpart_id: int, now) -> int:
    result = db.session.execute(
        update(Message)
        .where(
            Message.planet_id == planet_id,
            Message.sender_id == counterpart_id,
            Message.recipient_id == reader_id,
            Message.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Conversation)
        .where(
            Conversation.user_id == reader_id,
            Conversation.planet_id == planet_id,
            Conversation.counterpart_id == counterpart_id,
        )
        .values(unread_count=0)
        .execution_options(synchronize_session=False)
    )
    notifications.mark_messages_read(reader_id, planet_id, counterpart_id)
    return result.rowcount or 0
