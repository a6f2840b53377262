"""What people write: the length limits (forms repeat them), cleaning, rendering and mentions."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet import policy
from planet.accounts.models import User
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet
from planet.text import mention_candidates, render_content

TITLE_MAX = 120
BODY_MAX = 20_000
ANSWER_MAX = 20_000
COMMENT_MAX = 2_000
REPORT_REASON_MAX = 500
MAX_MENTIONS = 20


def clean_text(value, limit: int, *, required: bool = True, what=None) -> str:
    """`value` stripped; a ServiceError when it is not text, empty (if required) or too long."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ServiceError(_l("Please send text."))
    value = value.strip()
    if required and not value:
        raise ServiceError(what or _l("Please write something first."))
    if len(value) > limit:
        raise ServiceError(_l("That is too long: at most %(max)d characters.", max=limit))
    return value


def render_topic_body(planet: Planet, body: str) -> str:
    """Markdown to sanitized HTML, with each #hashtag linked to the planet's tag page."""
    return render_content(
        body, tag_url=lambda name: url_for("content.tag", slug=planet.slug, name=name)
    )


def active_now(rows):
    """The (membership, ...) rows whose membership the policy counts as active now."""
    now = utcnow()
    return [
        row for row in rows if policy.membership_state(row[0], now)[0] is policy.MemberState.ACTIVE
    ]


def mentioned_user_ids(planet: Planet, text: str) -> list[int]:
    """Ids of the planet's active members whose display name follows an `@` in `text`."""
    candidates = mention_candidates(text)
    if not candidates:
        return []
    rows = db.session.execute(
        select(Membership, User.display_name)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.planet_id == planet.id,
            Membership.status == MembershipStatus.ACTIVE,
            User.display_name.in_(sorted(candidates)[:500]),
        )
        .order_by(Membership.user_id)
    ).all()
    return [membership.user_id for membership, _name in active_now(rows)][:MAX_MENTIONS]
