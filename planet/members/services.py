"""Membership write operations: join, grant or extend a period, end, leave, remove, ban, roles.

Every path that changes who belongs to a planet goes through here (free joins, payments,
trials, refunds, expiry sweeps), so counters and standing caches stay right. Services flush,
never commit. Every way in (a free join, a rejoin within the paid term, a paid checkout, a
trial) asks `check_rules_accepted` first.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from planet import jobs, policy
from planet.errors import Conflict, NotAllowed, ServiceError
from planet.extensions import db
from planet.members.entitlement import paid_term_left, renewal_start
from planet.models import utcnow
from planet.planets.models import Membership, MembershipSource, MembershipStatus, Planet, Role

YEAR = timedelta(days=365)


def get_membership(planet_id: int, user_id: int, lock: bool = False) -> Membership | None:
    statement = select(Membership).where(
        Membership.planet_id == planet_id, Membership.user_id == user_id
    )
    if lock:
        statement = statement.with_for_update()
    return db.session.scalar(statement)


def _bump_member_count(planet_id: int, delta: int) -> None:
    db.session.execute(
        update(Planet)
        .where(Planet.id == planet_id)
        .values(member_count=Planet.member_count + delta)
        .execution_options(synchronize_session=False)
    )


def _is_active_now(membership: Membership | None) -> bool:
    if membership is None:
        return False
    return policy.membership_state(membership, utcnow())[0] is policy.MemberState.ACTIVE


def grant_membership(
    planet: Planet,
    user_id: int,
    expires_at: datetime | None,
    *,
    is_trial: bool = False,
    rules_accepted: bool = True,
    source: MembershipSource = MembershipSource.PAID,
) -> Membership:
    """Make `user_id` an active member until `expires_at` (None: no expiry).

    Reuses the one row per (planet, user); a banned user is refused. Used by free joins,
    confirmed payments, trials, imports, complimentary seats and gifts (`source` says which,
    so income and health count the free ones apart).
    """
    membership = get_membership(planet.id, user_id, lock=True)
    now = utcnow()
    if membership is not None and membership.status is MembershipStatus.BANNED:
        raise NotAllowed(_l("You have been banned from this planet."))
    was_counted = membership is not None and membership.status is MembershipStatus.ACTIVE
    if membership is None:
        membership = Membership(planet_id=planet.id, user_id=user_id, role=Role.MEMBER)
        db.session.add(membership)
    elif membership.status is not MembershipStatus.ACTIVE or not _is_active_now(membership):
        membership.role = Role.MEMBER if membership.role is not Role.OWNER else Role.OWNER
    if not _is_active_now(membership):
        membership.started_at = now
    membership.status = MembershipStatus.ACTIVE
    membership.expires_at = expires_at
    membership.grace_until = None
    membership.is_trial = is_trial
    membership.source = source
    membership.ended_at = None
    if rules_accepted:
        membership.rules_accepted_at = now
    db.session.flush()
    if not was_counted:
        _bump_member_count(planet.id, +1)
        jobs.defer("notifications.member_joined", planet_id=planet.id, user_id=user_id)
        jobs.defer("engagement.member_joined", planet_id=planet.id, user_id=user_id)
    policy.forget_standing(planet.id, user_id)
    return membership


class RulesNotAccepted(ServiceError):
    """A way in without the explicit acceptance of the planet's rules (shown beside the box)."""

    status = 400
    field = "accept_rules"


def check_rules_accepted(planet: Planet, accepted: bool) -> None:
    """A planet with rules is joined only by someone who ticked "I accept the rules": every way
    in asks this before writing anything (free join, rejoin, paid checkout, trial)."""
    if (planet.rules or "").strip() and not accepted:
        raise RulesNotAccepted(_l("Please read and accept the planet's rules to join."))


def join_free_planet(planet: Planet, user, *, rules_accepted: bool = False) -> Membership:
    """Join without paying: a free planet (no expiry), or a paid one that the person left while
    their paid term still ran, which gives them the rest of it back (until the old expiry).
    Other paid joins go through payments."""
    policy.require(user, policy.Action.JOIN, planet)
    until = paid_term_left(get_membership(planet.id, user.id), utcnow())
    if until is None and not planet.is_free:
        raise Conflict(_l("This planet is paid: join it through checkout."), 402)
    check_rules_accepted(planet, rules_accepted)
    return grant_membership(planet, user.id, None if planet.is_free else until)


def extend_membership(
    membership: Membership, period: timedelta = YEAR, now: datetime | None = None
) -> Membership:
    """Renewal: extend from the current expiry while the member has access (before expiry or
    in the grace period), from now once it has ended (entitlement.renewal_start)."""
    base = renewal_start(membership, now or utcnow())
    planet = db.session.get(Planet, membership.planet_id)
    membership = grant_membership(
        planet, membership.user_id, base + period, is_trial=False, rules_accepted=False
    )
    jobs.defer("members.renewed", planet_id=membership.planet_id, user_id=membership.user_id)
    return membership


def end_membership(membership: Membership, status: MembershipStatus) -> Membership:
    """End access now with `status` (left, removed, banned, refunded, expired)."""
    end_memberships([membership], status)
    return membership


def end_memberships(memberships: list[Membership], status: MembershipStatus) -> None:
    """end_membership() for many rows at once (the expiry sweep's batch): one flush for the
    rows and one member-count statement for all their planets."""
    counted = [m for m in memberships if m.status is MembershipStatus.ACTIVE]
    now = utcnow()
    for membership in memberships:
        membership.status = status
        membership.ended_at = now
        membership.grace_until = None
        if membership.role is not Role.OWNER:
            membership.role = Role.MEMBER
    db.session.flush()
    _bump_member_counts(Counter(m.planet_id for m in counted), sign=-1)
    for membership in counted:
        jobs.defer(
            "members.ended",
            planet_id=membership.planet_id,
            user_id=membership.user_id,
            status=status.value,
        )
    for membership in memberships:
        policy.forget_standing(membership.planet_id, membership.user_id)


def _bump_member_counts(per_planet: Counter, sign: int) -> None:
    """One executemany; planets in id order, so two batches never lock them in opposite
    orders (no deadlock between concurrent sweeps)."""
    if not per_planet:
        return
    planets = Planet.__table__
    db.session.execute(
        update(planets)
        .where(planets.c.id == bindparam("planet"))
        .values(member_count=planets.c.member_count + bindparam("delta")),
        [{"planet": p, "delta": sign * per_planet[p]} for p in sorted(per_planet)],
    )


def leave_planet(planet: Planet, user) -> Membership:
    policy.require(user, policy.Action.LEAVE, planet)
    return end_membership(get_membership(planet.id, user.id), MembershipStatus.LEFT)


def remove_member(planet: Planet, actor, membership: Membership) -> Membership:
    policy.require(actor, policy.Action.REMOVE_MEMBER, planet, membership)
    return end_membership(membership, MembershipStatus.REMOVED)


def ban_member(planet: Planet, actor, membership: Membership) -> Membership:
    policy.require(actor, policy.Action.BAN_MEMBER, planet, membership)
    return end_membership(membership, MembershipStatus.BANNED)


def set_role(planet: Planet, actor, membership: Membership, role: Role) -> Membership:
    """Name or revoke an admin or guest (owner only). The owner role never moves here."""
    policy.require(actor, policy.Action.MANAGE_ROLES, planet)
    if role is Role.OWNER or membership.role is Role.OWNER:
        raise NotAllowed(_l("The owner role cannot be given or taken here."))
    if not _is_active_now(membership):
        raise Conflict(_l("Only active members can be given a role."))
    membership.role = role
    db.session.flush()
    policy.forget_standing(planet.id, membership.user_id)
    return membership


def start_grace(membership: Membership, until: datetime) -> Membership:
    """Keep access past expiry until `until` while an auto-renewal is retried (dunning)."""
    membership.grace_until = until
    db.session.flush()
    policy.forget_standing(membership.planet_id, membership.user_id)
    return membership


def end_all_memberships(planet_id: int, status: MembershipStatus) -> int:
    """End every active membership of a planet but the owner's (dissolving). Returns how many."""
    ended = 0
    rows = db.session.scalars(
        select(Membership).where(
            Membership.planet_id == planet_id, Membership.status == MembershipStatus.ACTIVE
        )
    ).all()
    for membership in rows:
        if membership.role is not Role.OWNER:
            end_membership(membership, status)
            ended += 1
    return ended
