"""Auto-renewal with dunning: the first off-session charge is scheduled a day before expiry,
then retried after 1, 3 and 7 days; access is kept through the planet's grace period
(`renewals.grace_period`, never shorter than the last retry) so no retry charges a member
whose access has ended. Each attempt is a RenewalAttempt row unique per period and attempt,
so a re-run never charges twice. `sweep_renewals(now)` is the periodic job's body.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from payments.gateway import GatewayError
from payments.models import AutoRenewal, RenewalAttempt
from payments.renewals import (
    RENEWAL_LEAD,
    RETRY_AFTER,
    RenewalOutcome,
    charge_renewal,
    grace_period,
    retry_due_at,
)
from planet import metrics
from planet.dbutil import insert_ignore
from planet.extensions import db
from planet.members import services as members
from planet.members.expiry import BATCH, Progress, claim, commit_batch, date_text
from planet.models import utcnow
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Membership, MembershipStatus, Planet
from planet.web.links import external_url

log = logging.getLogger(__name__)
RENEWAL_LOOKBACK = timedelta(days=30)
RETRY_NOT_BEFORE = timedelta(hours=1)
"""A retry is never due sooner than this after the failure it follows (a late first charge)."""


def schedule_first_attempt(membership_id: int, period_end: datetime, due_at: datetime) -> bool:
    return _add_attempt(membership_id, period_end, 0, due_at)


def _add_attempt(membership_id: int, period_end: datetime, number: int, due_at: datetime) -> bool:
    """Store attempt `number` of the period unless it exists; True when stored now."""
    return insert_ignore(
        RenewalAttempt,
        {
            "membership_id": membership_id,
            "period_end": period_end,
            "attempt": number,
            "due_at": due_at,
            "status": "due",
            "outcome": "",
            "created_at": utcnow(),
        },
        ["membership_id", "period_end", "attempt"],
    )


class ProviderUnavailable(Exception):
    """The provider timed out or answered 5xx: the attempt is retried with the same key."""


def run_attempt(attempt: RenewalAttempt, now: datetime) -> str:
    """Charge one due attempt. Returns the outcome recorded on the attempt."""
    membership = db.session.get(Membership, attempt.membership_id, with_for_update=True)
    if membership is None:
        attempt.status, attempt.outcome = "cancelled", "membership gone"
        return attempt.status
    if membership.expires_at is not None and membership.expires_at > attempt.period_end:
        attempt.status, attempt.outcome = "cancelled", "already renewed"
        return attempt.status
    if not membership.is_entitled_at(now):
        # Access has ended (grace over, refunded, banned): never charge such a member.
        attempt.status, attempt.outcome = "cancelled", "access ended"
        return attempt.status
    try:
        outcome = charge_renewal(membership.id, now)
    except GatewayError as error:
        # Keep the stored payment (its id is the idempotency key) and retry with backoff.
        tries = attempt.outcome.count("provider error") + 1
        attempt.outcome = (attempt.outcome + " provider error;")[-255:]
        attempt.due_at = now + timedelta(minutes=5 * 2 ** min(tries, 8))
        log.warning(
            "renewal attempt %s: provider error %s; retry at %s", attempt.id, error, attempt.due_at
        )
        raise ProviderUnavailable(str(error)) from error
    planet = db.session.get(Planet, membership.planet_id)
    if outcome is RenewalOutcome.SUCCEEDED:
        attempt.status, attempt.outcome = "succeeded", str(outcome)
        db.session.refresh(membership)
        notifications.notify(
            membership.user_id,
            Kind.MEMBERSHIP_RENEWED,
            f"renewed:{membership.id}:{attempt.period_end.isoformat()}",
            planet=planet,
            data={
                "date": date_text(membership.expires_at),
                "link": external_url("content.timeline", slug=planet.slug),
                "memberships_link": external_url("payments.my_memberships"),
            },
        )
        return attempt.status
    if outcome is RenewalOutcome.PROCESSING:
        attempt.due_at = now + timedelta(hours=1)  # check again; the event usually comes first
        attempt.outcome = str(outcome)
        return "processing"
    if outcome is RenewalOutcome.SKIPPED:
        attempt.status, attempt.outcome = "cancelled", str(outcome)
        return attempt.status
    # Failed or needs the member: tell them, keep access through the grace period, retry.
    attempt.status, attempt.outcome = "failed", str(outcome)
    if membership.status is MembershipStatus.ACTIVE and membership.grace_until is None:
        members.start_grace(membership, attempt.period_end + grace_period(planet))
    if attempt.attempt < len(RETRY_AFTER):
        number = attempt.attempt + 1
        due_at = max(retry_due_at(attempt.period_end, number), now + RETRY_NOT_BEFORE)
        _add_attempt(membership.id, attempt.period_end, number, due_at)
    notifications.notify(
        membership.user_id,
        Kind.RENEWAL_FAILED,
        f"renewal_failed:{membership.id}:{attempt.period_end.isoformat()}:{attempt.attempt}",
        planet=planet,
        data={
            "link": external_url("payments.checkout", slug=planet.slug, renew=1),
            "memberships_link": external_url("payments.my_memberships"),
        },
    )
    return attempt.status


def latest_attempt_number(membership_id: int) -> int | None:
    return db.session.scalar(
        select(RenewalAttempt.attempt)
        .where(RenewalAttempt.membership_id == membership_id, RenewalAttempt.status == "failed")
        .order_by(RenewalAttempt.id.desc())
        .limit(1)
    )


def sweep_renewals(now: datetime | None = None, batch: int = BATCH, progress: Progress = None):
    """Auto-renewal: schedule this period's first charge a day before expiry, then run every
    due attempt (first charges and retries), one locked attempt per transaction."""
    now = now or utcnow()
    scheduled = 0
    while True:
        rows = db.session.execute(
            select(Membership.id, Membership.expires_at)
            .join(AutoRenewal, AutoRenewal.membership_id == Membership.id)
            .where(
                Membership.status == MembershipStatus.ACTIVE,
                Membership.expires_at <= now + RENEWAL_LEAD,
                Membership.expires_at > now - RENEWAL_LOOKBACK,
                AutoRenewal.enabled.is_(True),
                ~exists().where(
                    RenewalAttempt.membership_id == Membership.id,
                    RenewalAttempt.period_end == Membership.expires_at,
                    RenewalAttempt.attempt == 0,
                ),
            )
            .limit(batch)
        ).all()
        if not rows:
            break
        for membership_id, expires_at in rows:
            scheduled += schedule_first_attempt(membership_id, expires_at, now)
        db.session.commit()
    outcomes: dict[str, int] = {}
    while True:
        attempt = db.session.scalar(
            claim(
                select(RenewalAttempt)
                .where(RenewalAttempt.status == "due", RenewalAttempt.due_at <= now)
                .order_by(RenewalAttempt.due_at, RenewalAttempt.id)
                .limit(1),
                RenewalAttempt,
            )
        )
        if attempt is None:
            break
        try:
            outcome = run_attempt(attempt, now)
        except ProviderUnavailable:
            outcome = "provider_error"
        commit_batch()
        metrics.RENEWALS.labels(outcome).inc()
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if progress:
            progress(1)
    db.session.rollback()
    return {"scheduled": scheduled, **outcomes}
