"""Complimentary seats: the owner gives someone a free membership until a date (a guest, a
partner, a prize), and how many members hold a seat that was not paid here.

A seat is granted as a one-time invitation mailed to the person (planet/members/invitations.py):
they accept it with their account (a new one or not) and the planet's rules, like any way in,
and the membership counts as `MembershipSource.COMP`, apart from paid ones on the income and
health pages (`seat_counts`).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from planet import jobs, policy
from planet.accounts.services import normalize_email
from planet.dbutil import insert_ignore
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.members import import_file
from planet.members.models import Invitation
from planet.models import utcnow
from planet.planets.models import Membership, MembershipSource, Planet, Role

NOTE_MAX = 120
_DATE_ERRORS = {
    "past_date": _l("This date is in the past."),
    "far_date": _l("This date is more than ten years away."),
}


class SeatRefused(ServiceError):
    status = 400


def grant_comp_seat(
    planet: Planet, actor, email: str, until: date, note: str = "", locale: str | None = None
) -> Invitation:
    """Invite `email` to a free membership until the end of `until` (the planet's day); the
    mail goes out after commit. The same person and date twice is refused."""
    policy.require(actor, policy.Action.GRANT_COMP_SEAT, planet)
    contact = normalize_email(email)
    now = utcnow()
    expires_at, error = import_file.expiry_of(until, ZoneInfo(planet.timezone), now)
    if error:
        raise SeatRefused(_DATE_ERRORS[error], field="until")
    values = {
        "planet_id": planet.id,
        "name": contact.split("@", 1)[0][:60],
        "contact": contact,
        "contact_kind": "email",
        "role": Role.MEMBER.value,
        "source": MembershipSource.COMP.value,
        "note": (note or "").strip()[:NOTE_MAX],
        "expires_at": expires_at,
        "created_at": now,
    }
    if not insert_ignore(Invitation, values, ["planet_id", "contact", "expires_at"]):
        raise Conflict(_l("This person already has an invitation until that date."))
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.planet_id == planet.id,
            Invitation.contact == contact,
            Invitation.expires_at == expires_at,
        )
    )
    jobs.defer("members.send_invitation", invitation_id=invitation.id, locale=locale)
    return invitation


def comp_seats(planet: Planet, limit: int = 50) -> list[Invitation]:
    """The free seats granted, newest first (accepted or not)."""
    return db.session.scalars(
        select(Invitation)
        .where(Invitation.planet_id == planet.id, Invitation.source == MembershipSource.COMP.value)
        .order_by(Invitation.id.desc())
        .limit(limit)
    ).all()


def seat_counts(planet: Planet, now=None) -> dict[str, int]:
    """Active members by how their seat was obtained: 'paid' and each free source (import,
    comp, gift). Reads only the free seats (index on planet and source); the paid ones are
    the rest of the planet's member count (the owner excluded)."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Membership.source, func.count())
        .where(
            Membership.planet_id == planet.id,
            Membership.source != MembershipSource.PAID,  # the owner's row is never a free seat
            Membership.active_at(now),
        )
        .group_by(Membership.source)
    ).all()
    counts = {source.value: 0 for source in MembershipSource}
    for source, number in rows:
        counts[source.value] = int(number)
    free = sum(counts.values())
    counts[MembershipSource.PAID.value] = max(planet.member_count - 1 - free, 0)
    return counts
