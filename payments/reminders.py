"""Renewal reminders, 7 days and 1 day before expiry, each once per membership period, with
the renewal price the member would pay (the sweep body behind the `reminders` periodic job).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select

from payments.renewals import renewal_price
from planet.extensions import db
from planet.members.expiry import (
    BATCH,
    Progress,
    claim,
    commit_batch,
    date_text,
    planets_by_id,
    record_many,
)
from planet.members.models import ReminderSent
from planet.models import utcnow
from planet.notifications import services as notifications
from planet.notifications.models import Kind
from planet.planets.models import Membership, MembershipStatus, Planet
from planet.web.links import external_url

REMINDERS = {"7d": timedelta(days=7), "1d": timedelta(days=1)}
REMINDER_LOOKBACK = timedelta(days=2)


def remind_due(memberships: list[Membership], kind: str, now: datetime) -> int:
    """The `kind` reminder for every membership of a batch it is due for, at most once per
    membership period (free and dissolved planets record it but send nothing): a fixed number
    of statements per batch, plus one price lookup per planet. Returns how many were told."""
    due = [m for m in memberships if _reminder_due(m, kind, now)]
    first_time = record_many([(m.id, kind, m.expires_at) for m in due])
    planets = planets_by_id({m.planet_id for m in due if m.id in first_time})
    told = [
        m
        for m in due
        if m.id in first_time
        and not (planets[m.planet_id].is_free or planets[m.planet_id].is_dissolved)
    ]
    prices = {p: renewal_price(planets[p], early=True) for p in {m.planet_id for m in told}}
    notifications.notify_many(
        Kind.RENEWAL_REMINDER,
        [_reminder_notice(m, kind, planets[m.planet_id], prices[m.planet_id]) for m in told],
    )
    return len(told)


def _reminder_due(membership: Membership, kind: str, now: datetime) -> bool:
    if membership.expires_at is None or not membership.is_entitled_at(now):
        return False
    return membership.expires_at - now <= REMINDERS[kind]


def _reminder_notice(
    membership: Membership, kind: str, planet: Planet, price
) -> notifications.Notice:
    amount, currency = price
    return notifications.Notice(
        membership.user_id,
        f"remind:{membership.id}:{kind}:{membership.expires_at.isoformat()}",
        planet=planet,
        data={
            "date": date_text(membership.expires_at),
            "amount": notifications.format_amount(amount, currency),
            "link": external_url("payments.checkout", slug=planet.slug, renew=1),
            "memberships_link": external_url("payments.my_memberships"),
        },
    )


def sweep_reminders(now: datetime | None = None, batch: int = BATCH, progress: Progress = None):
    """7-day and 1-day renewal reminders, each once per membership period."""
    now = now or utcnow()
    sent = {}
    for kind, ahead in REMINDERS.items():
        sent[kind] = 0
        after = (now + ahead - REMINDER_LOOKBACK, 0)
        while True:
            statement = (
                select(Membership)
                .where(
                    Membership.status == MembershipStatus.ACTIVE,
                    Membership.expires_at > now,
                    Membership.expires_at <= now + ahead,
                    or_(
                        Membership.expires_at > after[0],
                        and_(Membership.expires_at == after[0], Membership.id > after[1]),
                    ),
                    ~exists().where(
                        ReminderSent.membership_id == Membership.id,
                        ReminderSent.kind == kind,
                        ReminderSent.period_end == Membership.expires_at,
                    ),
                )
                .order_by(Membership.expires_at, Membership.id)
                .limit(batch)
            )
            rows = list(db.session.scalars(claim(statement, Membership)))
            if not rows:
                break
            after, claimed = (rows[-1].expires_at, rows[-1].id), len(rows)
            sent[kind] += remind_due(rows, kind, now)
            del rows  # once committed, the rows should leave the session (see expiry)
            commit_batch()
            if progress:
                progress(claimed)
    db.session.rollback()
    return {"reminded_7d": sent["7d"], "reminded_1d": sent["1d"]}
