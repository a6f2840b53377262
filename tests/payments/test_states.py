"""The payment state machine: every legal change passes, every other one is refused with a
named exception, repeated changes behave as the table says, and nothing else assigns a status.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from payments import states
from payments.models import Payment, PaymentStatus

S = PaymentStatus
ALL_PAIRS = list(itertools.product(PaymentStatus, PaymentStatus))


def _payment(status: PaymentStatus) -> Payment:
    return Payment(id=1, status=status, amount=100, refunded_amount=0, currency="cny")


@pytest.mark.parametrize(("old", "new"), [p for p in ALL_PAIRS if p in states.ALLOWED])
def test_legal_transitions_pass(old, new):
    payment = _payment(old)
    assert states.transition(payment, new) is old
    assert payment.status is new


@pytest.mark.parametrize(("old", "new"), [p for p in ALL_PAIRS if p not in states.ALLOWED])
def test_every_illegal_transition_is_refused_and_changes_nothing(old, new):
    payment = _payment(old)
    with pytest.raises(states.PaymentStateError) as refused:
        states.transition(payment, new)
    assert payment.status is old
    assert (refused.value.old, refused.value.new) == (old, new)
    assert not states.may(payment, new)


def test_the_table_is_what_we_mean():
    # Nothing leaves a full refund; nothing returns a paid payment to an unpaid state.
    assert not [pair for pair in states.ALLOWED if pair[0] is S.REFUNDED]
    unpaid = {S.CREATED, S.REQUIRES_ACTION, S.PROCESSING, S.FAILED}
    paid = {S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED}
    assert not [(o, n) for o, n in states.ALLOWED if o in paid and n in unpaid]
    # Only a paid payment can be refunded, and nothing goes back to CREATED.
    assert {o for o, n in states.ALLOWED if n in (S.REFUNDED, S.PARTIALLY_REFUNDED)} <= paid
    assert not [pair for pair in states.ALLOWED if pair[1] is S.CREATED]


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (S.SUCCEEDED, S.SUCCEEDED, states.AlreadyPaid),  # a replayed success event
        (S.SUCCEEDED, S.FAILED, states.AlreadyPaid),  # a stale failure after success
        (S.SUCCEEDED, S.PROCESSING, states.AlreadyPaid),
        (S.PARTIALLY_REFUNDED, S.SUCCEEDED, states.AlreadyPaid),
        (S.REFUNDED, S.REFUNDED, states.AlreadyRefunded),  # a replayed refund
        (S.REFUNDED, S.PARTIALLY_REFUNDED, states.AlreadyRefunded),
        (S.REFUNDED, S.SUCCEEDED, states.AlreadyRefunded),
        (S.REFUNDED, S.FAILED, states.AlreadyRefunded),
        (S.CREATED, S.REFUNDED, states.IllegalTransition),  # never paid, never refunded
        (S.FAILED, S.PARTIALLY_REFUNDED, states.IllegalTransition),
        (S.PROCESSING, S.CREATED, states.IllegalTransition),
        (S.CREATED, S.CREATED, states.IllegalTransition),
        (S.PROCESSING, S.PROCESSING, states.IllegalTransition),
    ],
)
def test_refusals_have_names(old, new, error):
    with pytest.raises(error):
        states.transition(_payment(old), new)


@pytest.mark.parametrize(
    ("status", "repeatable"),
    [
        (S.FAILED, True),  # the same card fails again: a new message, the same state
        (S.PARTIALLY_REFUNDED, True),  # a second partial refund
        (S.CREATED, False),
        (S.REQUIRES_ACTION, False),
        (S.PROCESSING, False),
        (S.SUCCEEDED, False),
        (S.REFUNDED, False),
    ],
)
def test_repeated_transitions(status, repeatable):
    assert states.may(_payment(status), status) is repeatable


def test_no_module_assigns_a_payment_status_but_the_state_machine():
    root = Path(__file__).resolve().parents[2]
    assignment = re.compile(r"\bpayment\w*\.status\s*=[^=]")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("payments", "workers", "planet")
        for path in sorted((root / folder).rglob("*.py"))
        if path.name != "states.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if assignment.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (S.DISPUTED, S.SUCCEEDED, states.AlreadyPaid),  # a replayed success on a disputed one
        (S.DISPUTED, S.REFUNDED, states.IllegalTransition),  # no refund during a dispute
        (S.DISPUTED, S.PARTIALLY_REFUNDED, states.IllegalTransition),
        (S.CHARGED_BACK, S.SUCCEEDED, states.AlreadyRefunded),  # a charge-back is final
        (S.CHARGED_BACK, S.DISPUTED, states.AlreadyRefunded),
        (S.REFUNDED, S.DISPUTED, states.AlreadyRefunded),
        (S.CREATED, S.DISPUTED, states.IllegalTransition),
    ],
)
def test_disputes_leave_only_by_their_outcome(old, new, error):
    with pytest.raises(error):
        states.transition(_payment(old), new)


@pytest.mark.parametrize(("refunded", "back_to"), [(0, S.SUCCEEDED), (40, S.PARTIALLY_REFUNDED)])
def test_a_won_dispute_goes_back_to_where_it_was(refunded, back_to):
    payment = _payment(S.DISPUTED)
    payment.refunded_amount = refunded
    assert states.dispute_won(payment) is S.DISPUTED
    assert payment.status is back_to
    with pytest.raises(states.IllegalTransition):
        states.dispute_won(_payment(S.SUCCEEDED))
