"""What a purchase is: a join, a renewal or a duplicate, and which term it buys.

The one answer used by the quote and the checkout page, by applying a verified payment, by
the auto-renewal charge and by the policy's RENEW rule. It lives in `planet` because the
policy and templates need it (planet never imports payments); it reads only the membership
row (no policy import, so the policy may import it).

Rules:
- Who renews: a member whose row is active or expired (including a member in the grace
  period, and one whose paid term ended); not a trial member, not a refunded, removed, left
  or banned one (they join again).
- The term a renewal buys extends from the current expiry while the member still has access
  (before expiry, or in the grace period); once access has ended it starts now.
- A paid purchase is a duplicate (refunded) when a join is paid by someone who is already a
  full member (owner, or active and neither trial nor in grace), or by a banned member, or
  for a dissolved planet.
- Who rejoins for free: a member who left (not a trial, not refunded, removed or banned) while
  their paid term still runs gets the rest of it back: a quote answers RESTORE, which costs
  nothing and ends at the old expiry (`paid_term_left`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from planet.planets.models import Membership, MembershipStatus, Planet, Role

YEAR = timedelta(days=365)


class PurchaseKind(enum.StrEnum):
    JOIN = "join"
    RENEWAL = "renewal"
    DUPLICATE = "duplicate"
    """Paid but buys nothing: refunded in full."""
    RESTORE = "restore"
    """A member who left comes back within the term already paid: free, until the old expiry."""


class Term(enum.StrEnum):
    JOIN = "join"
    EARLY = "early"
    """A renewal before expiry."""
    GRACE = "grace"
    """A renewal in the grace period, or within the planet's grace-price window after expiry."""
    RENEWAL = "renewal"


@dataclass(frozen=True)
class Purchase:
    kind: PurchaseKind
    term: Term
    starts_at: datetime
    ends_at: datetime
    reason: str = ""
    """For a duplicate: already_member, banned or dissolved."""

    @property
    def is_renewal(self) -> bool:
        return self.kind is PurchaseKind.RENEWAL


def renewable(membership: Membership | None) -> bool:
    """The row can be renewed (the policy's RENEW rule): active or expired, not refunded,
    removed, left or banned."""
    return membership is not None and membership.status in (
        MembershipStatus.ACTIVE,
        MembershipStatus.EXPIRED,
    )


def may_renew(membership: Membership | None) -> bool:
    """A renewal (not a join) is what this person would buy now: a renewable row that is not
    a trial (a trial member joins)."""
    return renewable(membership) and not membership.is_trial


def paid_term_left(membership: Membership | None, now: datetime) -> datetime | None:
    """When the paid term of a member who left ends, while it still runs (else None).

    Leaving keeps the row's expiry: a member who left a paid planet (not a trial, whose time
    was not paid) and comes back before it gets the rest of the term back without paying.
    Refunded, removed and banned rows have nothing to give back.
    """
    if (
        membership is None
        or membership.status is not MembershipStatus.LEFT
        or membership.is_trial
        or membership.role is Role.OWNER
        or membership.expires_at is None
        or now >= membership.expires_at
    ):
        return None
    return membership.expires_at


def renewal_start(membership: Membership, now: datetime) -> datetime:
    """Where a renewal's new term starts: the current expiry while the member still has
    access (before expiry, or in the grace period), otherwise now."""
    expires_at = membership.expires_at
    if expires_at is not None and (now < expires_at or membership.is_in_grace_at(now)):
        return expires_at
    return now


def _is_full_member(membership: Membership | None, now: datetime) -> bool:
    """Already has what a join buys: owner, or active and neither a trial nor in grace."""
    if membership is None or not membership.is_entitled_at(now):
        return False
    if membership.role is Role.OWNER:
        return True
    return not membership.is_trial and not membership.is_in_grace_at(now)


def _renewal_term(membership: Membership, now: datetime, grace_price_window: timedelta) -> Term:
    expires_at = membership.expires_at
    if membership.is_in_grace_at(now) or (
        expires_at is not None and expires_at <= now < expires_at + grace_price_window
    ):
        return Term.GRACE
    if membership.is_entitled_at(now) and expires_at is not None and now < expires_at:
        return Term.EARLY
    return Term.RENEWAL


def classify_purchase(
    membership: Membership | None,
    planet: Planet,
    now: datetime,
    *,
    paid_as: str | None = None,
    grace_price_window: timedelta = timedelta(0),
    period: timedelta = YEAR,
) -> Purchase:
    """What buying `period` of `planet` at `now` is for the holder of `membership` (None:
    never joined).

    `paid_as` is the kind a stored payment was bought as ("join", or a renewal kind); None
    asks before paying (a quote), which never answers DUPLICATE: whether one may buy at all
    is the policy's question; a quote for a member who left within the paid term answers
    RESTORE (nothing to pay, until the old expiry). `grace_price_window` is the planet's
    grace-price window, which only names the term (and so its price).
    """
    renewing = may_renew(membership) if paid_as is None else paid_as != PurchaseKind.JOIN
    if paid_as is None and (until := paid_term_left(membership, now)) is not None:
        return Purchase(PurchaseKind.RESTORE, Term.JOIN, now, until)
    if paid_as is not None:
        reason = ""
        if paid_as == PurchaseKind.JOIN and _is_full_member(membership, now):
            reason = "already_member"
        elif membership is not None and membership.status is MembershipStatus.BANNED:
            reason = "banned"
        elif planet.is_dissolved:
            reason = "dissolved"
        if reason:
            return Purchase(PurchaseKind.DUPLICATE, Term.JOIN, now, now, reason)
        # A renewal payment renews only a row that can be renewed (else it grants afresh).
        renewing = renewing and renewable(membership)
    if renewing:
        start = renewal_start(membership, now)
        term = _renewal_term(membership, now, grace_price_window)
        return Purchase(PurchaseKind.RENEWAL, term, start, start + period)
    return Purchase(PurchaseKind.JOIN, Term.JOIN, now, now + period)
