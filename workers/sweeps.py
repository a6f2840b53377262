"""The periodic jobs' entry points, by name. Each is a thin call into the service that holds
the sweep's body: membership expiry in planet.members.expiry, reminders and auto-renewal in
payments.reminders and payments.dunning, settlement, payouts, reconciliation, abandoned
3-D Secure checks, paid questions' deadlines and the owners' weekly reports in payments.
"""

from __future__ import annotations

from datetime import datetime

from payments import (
    abandoned,
    dunning,
    questions,
    reconcile,
    reminders,
    settlement,
    weekly_report,
)
from planet.members import expiry
from planet.models import utcnow
from workers import locks

count_expiry_due = expiry.count_expiry_due
sweep_expiry = expiry.sweep_expiry
sweep_reminders = reminders.sweep_reminders
sweep_renewals = dunning.sweep_renewals
sweep_settlement = settlement.sweep_settlement
sweep_payouts = settlement.sweep_payouts
sweep_abandoned = abandoned.sweep_abandoned
sweep_question_deadlines = questions.sweep_question_deadlines


def sweep_weekly_reports(now: datetime | None = None, **_) -> dict:
    return weekly_report.sweep_weekly_reports(now or utcnow())


def sweep_reconcile(now: datetime | None = None, **_) -> dict:
    """Nightly: reconcile since the last finished run (its lock row says when it started)."""
    last = locks.last_finished("reconcile")
    return reconcile.sweep_reconcile(now, last.started_at if last else None)


SWEEPS = {
    "expiry": sweep_expiry,
    "reminders": sweep_reminders,
    "renewals": sweep_renewals,
    "settlement": sweep_settlement,
    "payouts": sweep_payouts,
    "reconcile": sweep_reconcile,
    "abandoned": sweep_abandoned,
    "question-deadlines": sweep_question_deadlines,
    "weekly-reports": sweep_weekly_reports,
}
