"""The payment state machine: the one place a Payment's status changes.

Every change goes through `transition(payment, new)`, which checks the table below and raises
a named exception for a change it refuses (in the style of indico's payment transactions):
a second success is `AlreadyPaid`, anything after a full refund is `AlreadyRefunded`, any
other change the table lacks is `IllegalTransition`. All three are `PaymentStateError`s.

Callers that must stay idempotent (webhook replays, reconciliation, a late failure event)
catch the named exception and do nothing: a replayed event changes nothing the second time.

Repeated transitions: FAILED -> FAILED is allowed (a retried card fails again, with a new
message) and PARTIALLY_REFUNDED -> PARTIALLY_REFUNDED is allowed (a second partial refund);
every other same-state change is refused with the exception its state names.
"""

from __future__ import annotations

from sqlalchemy import select

from payments.models import PAID_STATUSES, Payment, PaymentStatus
from planet.extensions import db

S = PaymentStatus

ALLOWED: dict[tuple[PaymentStatus, PaymentStatus], str] = {
    (S.CREATED, S.REQUIRES_ACTION): "the bank asks for 3-D Secure",
    (S.CREATED, S.PROCESSING): "the provider accepted the charge",
    (S.CREATED, S.SUCCEEDED): "verified success (or nothing to charge)",
    (S.CREATED, S.FAILED): "declined",
    (S.REQUIRES_ACTION, S.PROCESSING): "verified in the browser",
    (S.REQUIRES_ACTION, S.SUCCEEDED): "verified success",
    (S.REQUIRES_ACTION, S.FAILED): "verification failed or abandoned",
    (S.PROCESSING, S.SUCCEEDED): "verified success",
    (S.PROCESSING, S.FAILED): "the charge failed after all",
    (S.FAILED, S.REQUIRES_ACTION): "retried with another card",
    (S.FAILED, S.PROCESSING): "retried with another card",
    (S.FAILED, S.SUCCEEDED): "a retry succeeded (events may arrive in any order)",
    (S.FAILED, S.FAILED): "a retry failed again",
    (S.SUCCEEDED, S.PARTIALLY_REFUNDED): "part refunded",
    (S.SUCCEEDED, S.REFUNDED): "refunded in full",
    (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED): "another partial refund",
    (S.PARTIALLY_REFUNDED, S.REFUNDED): "the rest refunded",
    (S.SUCCEEDED, S.DISPUTED): "the buyer's bank opened a dispute",
    (S.PARTIALLY_REFUNDED, S.DISPUTED): "the buyer's bank opened a dispute",
    (S.DISPUTED, S.CHARGED_BACK): "the dispute was lost",
}
"""Every permitted (old, new) status change, with why it happens."""

DISPUTE_WON = {
    (S.DISPUTED, S.SUCCEEDED): "the dispute was won",
    (S.DISPUTED, S.PARTIALLY_REFUNDED): "the dispute was won (after a partial refund)",
}
"""The way back from a dispute, taken only by `dispute_won`: a replayed success event on a
disputed payment is `AlreadyPaid`, never a way out of the dispute."""


class PaymentStateError(Exception):
    """A status change the state machine refuses."""

    def __init__(self, payment: Payment, new: PaymentStatus):
        self.payment_id = payment.id
        self.old = PaymentStatus(payment.status)
        self.new = PaymentStatus(new)
        super().__init__(f"payment {payment.id}: {self.old} -> {self.new} is not allowed")


class IllegalTransition(PaymentStateError):
    """A change the table does not list (e.g. a payment that was never paid refunded)."""


class AlreadyPaid(PaymentStateError):
    """The payment succeeded already: a second success, or a stale failure or processing
    state after it."""


class AlreadyRefunded(PaymentStateError):
    """The payment was refunded in full (or charged back): nothing may change it any more."""


def check(payment: Payment, new: PaymentStatus) -> None:
    """Raise the named PaymentStateError if `payment` may not move to `new`."""
    old = PaymentStatus(payment.status)
    new = PaymentStatus(new)
    if (old, new) in ALLOWED:
        return
    if old in (S.REFUNDED, S.CHARGED_BACK):
        raise AlreadyRefunded(payment, new)
    if old in PAID_STATUSES and new not in (S.REFUNDED, S.PARTIALLY_REFUNDED, S.DISPUTED):
        raise AlreadyPaid(payment, new)
    raise IllegalTransition(payment, new)


def may(payment: Payment, new: PaymentStatus) -> bool:
    return (PaymentStatus(payment.status), PaymentStatus(new)) in ALLOWED


def transition(payment: Payment, new: PaymentStatus) -> PaymentStatus:
    """Move `payment` to `new` after checking the table; returns the old status."""
    check(payment, new)
    old = PaymentStatus(payment.status)
    payment.status = new
    return old


def dispute_won(payment: Payment) -> PaymentStatus:
    """A won dispute: back to paid (or partly refunded, as before the dispute)."""
    new = S.PARTIALLY_REFUNDED if payment.refunded_amount else S.SUCCEEDED
    if (PaymentStatus(payment.status), new) not in DISPUTE_WON:
        raise IllegalTransition(payment, new)
    old = PaymentStatus(payment.status)
    payment.status = new
    return old


def lock(payment: Payment) -> Payment:
    """Take the payment's row lock (SELECT ... FOR UPDATE) and re-read it.

    Every operation on one payment (confirm, succeed, refund) starts here, so two tabs, a double
    click or two owners act one after the other on what the first one committed: the second
    sees the new status and refunded amount, never a stale copy. The lock is held until the
    request (or task) commits.
    """
    return db.session.execute(
        select(Payment)
        .where(Payment.id == payment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
