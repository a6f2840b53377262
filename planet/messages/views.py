"""Private messages: the inbox, a conversation page, send and mark read."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from planet import policy
from planet.accounts.models import User
from planet.errors import Refused, ServiceError
from planet.extensions import db
from planet.members.services import get_membership
from planet.messages import services
from planet.messages.forms import MarkReadForm, MessageForm
from planet.messages.models import Conversation, Message
from planet.planets.lookup import planet_or_404
from planet.text import plain_excerpt, render_markdown
from planet.web.cursors import decode_ints, encode, from_micros, to_micros
from planet.web.forms import apply_service_error

bp = Blueprint("messages", __name__)


@bp.get("/messages")
@login_required
def inbox():
    page_size = current_app.config["PAGE_SIZE"]
    after = decode_ints(request.args.get("after"), 2)
    statement = (
        select(Conversation)
        .options(
            joinedload(Conversation.counterpart),
            joinedload(Conversation.planet),
            joinedload(Conversation.last_message),
        )
        .where(Conversation.user_id == current_user.id)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
        .limit(page_size + 1)
    )
    if after is not None:
        moment, last_id = from_micros(after[0]), after[1]
        statement = statement.where(
            or_(
                Conversation.last_message_at < moment,
                and_(Conversation.last_message_at == moment, Conversation.id < last_id),
            )
        )
    rows = db.session.scalars(statement).unique().all()
    next_cursor = None
    if len(rows) > page_size:
        last = rows[page_size - 1]
        next_cursor = encode(to_micros(last.last_message_at), last.id)
    rows = rows[:page_size]
    previews = {
        row.id: plain_excerpt(row.last_message.body, 80) if row.last_message else "" for row in rows
    }
    return render_template(
        "messages/inbox.html", conversations=rows, previews=previews, next_cursor=next_cursor
    )


def _load(slug: str, user_id: int):
    planet = planet_or_404(slug)
    counterpart = db.session.get(User, user_id)
    if counterpart is None:
        abort(404)
    return planet, counterpart


def _thread_messages(planet_id: int, me: int, other: int, before: int | None, limit: int):
    statement = (
        select(Message)
        .where(
            Message.planet_id == planet_id,
            or_(
                and_(Message.sender_id == me, Message.recipient_id == other),
                and_(Message.sender_id == other, Message.recipient_id == me),
            ),
        )
        .order_by(Message.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        statement = statement.where(Message.id < before)
    rows = db.session.scalars(statement).all()
    older = rows[limit - 1].id if len(rows) > limit else None
    return list(reversed(rows[:limit])), older


@bp.route("/messages/<slug>/<int:user_id>", methods=["GET", "POST"])
@login_required
def thread(slug, user_id):
    planet, counterpart = _load(slug, user_id)
    recipient = services.recipient(planet, current_user.id, get_membership(planet.id, user_id))
    decision = policy.decide(current_user, policy.Action.SEND_MESSAGE, planet, recipient)
    if recipient is None and decision:
        decision = policy.deny(_l("That person is not a member of this planet."), 404)
    form = MessageForm()
    status = 200
    if request.method == "POST":
        if not decision:
            raise Refused(decision)
        status = 400
        if form.validate():
            try:
                services.send_message(planet, current_user, counterpart.id, form.body.data)
            except Refused:
                raise
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                return redirect(
                    url_for("messages.thread", slug=planet.slug, user_id=counterpart.id)
                )
    page_size = current_app.config["PAGE_SIZE"]
    before = decode_ints(request.args.get("before"), 1)
    messages, older = _thread_messages(
        planet.id, current_user.id, counterpart.id, before[0] if before else None, page_size
    )
    if not messages and before is None and not decision:
        raise Refused(decision)
    conversation = db.session.scalar(
        select(Conversation).where(
            Conversation.user_id == current_user.id,
            Conversation.planet_id == planet.id,
            Conversation.counterpart_id == counterpart.id,
        )
    )
    rendered = [(message, render_markdown(message.body)) for message in messages]
    return (
        render_template(
            "messages/thread.html",
            planet=planet,
            counterpart=counterpart,
            messages=rendered,
            older=older,
            form=form,
            can_send=bool(decision),
            cannot_send_reason=str(decision.reason),
            unread=conversation.unread_count if conversation else 0,
            mark_read_form=MarkReadForm(formdata=None),
        ),
        status,
    )


@bp.post("/messages/<slug>/<int:user_id>/read")
@login_required
def mark_read(slug, user_id):
    planet, counterpart = _load(slug, user_id)
    if not MarkReadForm().validate():
        abort(400)
    services.mark_read(planet, current_user, counterpart.id)
    if request.form.get("next") == "inbox":
        return redirect(url_for("messages.inbox"))
    return redirect(url_for("messages.thread", slug=planet.slug, user_id=counterpart.id))
