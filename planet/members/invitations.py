"""One-time invitation links: a membership until a set date, already paid (imports).

The link carries `[planet id, invitation id]` signed with the app's SECRET_KEY (its own salt,
like the referral codes), so it cannot be edited or guessed; "one time" is the invitation
row's state, changed under its row lock: the same link opened twice, or at once from two
tabs, makes one membership. A person without an account signs up first (the e-mail address
prefilled) and comes back to the link; an existing account accepts at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from planet import jobs, policy
from planet.accounts.models import User
from planet.errors import Conflict
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.members import services
from planet.members.models import Invitation
from planet.models import utcnow
from planet.notifications import outbox
from planet.planets.models import Membership, MembershipSource, Planet, Role
from planet.web.clock import local_date
from planet.web.forms import id_or_none
from planet.web.links import external_url

SALT = "planet.members.invitation"
TOKEN_MAX = 120
LAST_INSTANT = timedelta(microseconds=1)
"""An invitation's `expires_at` is the start of the day after the paid-until date."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def invitation_token(planet_id: int, invitation_id: int) -> str:
    return _serializer().dumps([planet_id, invitation_id])


def invitation_url(planet: Planet, invitation_id: int) -> str:
    """The absolute link mailed to the person (or passed on by the owner for a phone)."""
    return external_url(
        "members.invitation", slug=planet.slug, token=invitation_token(planet.id, invitation_id)
    )


def invitation_for(planet: Planet, token) -> Invitation | None:
    """The invitation a link names in this planet, or None for an edited or foreign link."""
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        return None
    try:
        value = _serializer().loads(token)
    except (BadSignature, UnicodeError, ValueError):
        return None
    if not isinstance(value, list) or len(value) != 2 or value[0] != planet.id:
        return None
    invitation_id = None if isinstance(value[1], bool) else id_or_none(value[1])
    if invitation_id is None:
        return None
    invitation = db.session.get(Invitation, invitation_id)
    return invitation if invitation is not None and invitation.planet_id == planet.id else None


def paid_until(invitation: Invitation) -> datetime:
    """The last instant of the paid-until day (what a page shows as the date)."""
    return invitation.expires_at - LAST_INSTANT


def accept_invitation(
    planet: Planet, user, invitation: Invitation, *, rules_accepted: bool
) -> Membership:
    """Make `user` a member until the invitation's date (never shortening a longer membership),
    with the role the owner chose. Under the invitation's row lock: the second use is refused."""
    policy.require(user, policy.Action.ACCEPT_INVITATION, planet)
    locked = db.session.scalar(
        select(Invitation).where(Invitation.id == invitation.id).with_for_update()
    )
    db.session.refresh(locked)
    if locked.accepted_at is not None:
        raise Conflict(_l("This invitation has already been used."))
    now = utcnow()
    if locked.expires_at <= now:
        raise Conflict(_l("This invitation has expired: the paid time it carried is over."), 410)
    services.check_rules_accepted(planet, rules_accepted)
    current = services.get_membership(planet.id, user.id)
    until = locked.expires_at
    if current is not None and current.is_entitled_at(now):
        if current.expires_at is None:
            until = None
        elif current.expires_at > until:
            until = current.expires_at
    membership = services.grant_membership(
        planet, user.id, until, rules_accepted=True, source=MembershipSource(locked.source)
    )
    wanted = Role(locked.role)
    standing = policy.standing_from_membership(user, membership, now)
    if wanted in policy.STAFF and not standing.has_role(*policy.STAFF):  # never demote staff
        owner = db.session.get(User, planet.owner_id)
        services.set_role(planet, owner, membership, wanted)
    locked.accepted_at = now
    locked.accepted_by_id = user.id
    db.session.flush()
    return membership


@jobs.handler("members.send_invitation")
def send_invitation(invitation_id: int, locale: str | None = None) -> None:
    """Mail one invitation (a free seat) after the request that made it committed."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        return
    queue_invitation_mails(db.session.get(Planet, invitation.planet_id), [invitation], locale)


def queue_invitation_mails(planet: Planet, rows: list, locale: str | None = None) -> None:
    """Queue the mail of each invitation (rows with id, name, contact, contact_kind,
    expires_at, source) in the outbox, keyed by the invitation: once each, however often a
    job runs. A phone-only invitation has no mail (the owner passes its link on). Each is in
    the language of the recipient's account, else `locale` (the owner's, when they sent it)."""
    rows = [row for row in rows if row.contact_kind == "email"]
    if not rows:
        return
    users = {
        user.email: user
        for user in db.session.scalars(
            select(User).where(User.email.in_([row.contact for row in rows]))
        )
    }
    owner = db.session.get(User, planet.owner_id)
    emails = []
    for row in rows:
        reader = users.get(row.contact)
        with in_recipient_language(reader, locale or getattr(owner, "locale", None)):
            emails.append(_invitation_mail(planet, row, owner))
    outbox.queue_emails(emails)


def _intro(planet: Planet, row, owner, until: str) -> str:
    if row.source == MembershipSource.COMP.value:
        return _(
            "%(owner)s gives you a free membership of %(planet)s until %(date)s. Open the link "
            "below to take your place: with your Planet account, or a new one.",
            owner=owner.display_name,
            planet=planet.name,
            date=until,
        )
    return _(
        "You are a member of %(planet)s until %(date)s, already paid. Open the link below "
        "to take your place: with your Planet account, or a new one.",
        planet=planet.name,
        date=until,
    )


def _invitation_mail(planet: Planet, row, owner) -> outbox.Email:
    link = invitation_url(planet, row.id)
    until = local_date(row.expires_at - LAST_INSTANT, planet)
    subject = _("%(owner)s invites you to %(planet)s", owner=owner.display_name, planet=planet.name)
    context = {
        "subject": subject,
        "greeting": _("Hello %(name)s,", name=row.name),
        "intro": _intro(planet, row, owner, until),
        "button": _("Join %(planet)s", planet=planet.name),
        "link": link,
        "expiry": _("The link works once."),
        "ignore": _("If you do not know this planet, you can ignore this mail."),
        "signature": _("— The Planet team"),
    }
    return outbox.Email(
        row.contact,
        f"invitation:{row.id}",
        subject,
        render_template("email/accounts/action.txt", **context),
        render_template("email/accounts/action.html", **context),
    )
