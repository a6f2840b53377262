"""Money pages, one blueprint (`payments.views:bp`, endpoints `payments.*`) split by page
group: join/checkout and paying (views.checkout), the member's memberships, receipts, refunds
and earnings (views.member), the owner's income and money settings and the platform admin
(views.owner), and the Stripe webhook, the only CSRF-exempt route (views.webhook)."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from payments import declines
from payments.models import PaymentStatus, PayoutStatus, RefundStatus
from planet.errors import ServiceError
from planet.web.forms import bounded_int

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)

SYMBOLS = {"cny": "¥", "usd": "$", "eur": "€", "hkd": "HK$"}


@bp.app_template_filter("money")
def money(amount: int | None, currency: str = "cny") -> str:
    amount = int(amount or 0)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    return (
        f"{sign}{SYMBOLS.get(currency, currency.upper() + ' ')}{amount // 100}.{amount % 100:02d}"
    )


STATUS_LABELS = {
    PaymentStatus: {
        PaymentStatus.CREATED: _l("Not paid yet"),
        PaymentStatus.REQUIRES_ACTION: _l("Waiting for verification"),
        PaymentStatus.PROCESSING: _l("Processing"),
        PaymentStatus.SUCCEEDED: _l("Paid"),
        PaymentStatus.FAILED: _l("Failed"),
        PaymentStatus.REFUNDED: _l("Refunded"),
        PaymentStatus.PARTIALLY_REFUNDED: _l("Partially refunded"),
        PaymentStatus.DISPUTED: _l("Disputed by the bank"),
        PaymentStatus.CHARGED_BACK: _l("Charged back"),
    },
    RefundStatus: {
        RefundStatus.PENDING: _l("Refund pending"),
        RefundStatus.SUCCEEDED: _l("Refunded"),
        RefundStatus.FAILED: _l("Refund failed"),
    },
    PayoutStatus: {
        PayoutStatus.PENDING: _l("Payout pending"),
        PayoutStatus.PAID: _l("Paid out"),
        PayoutStatus.PAYABLE: _l("To be paid by hand"),
        PayoutStatus.FAILED: _l("Payout failed"),
    },
}
"""What a payer, owner or admin sees for each stored status (the values stay English)."""


@bp.app_template_filter("status_label")
def status_label(status) -> str:
    """The translated label of a PaymentStatus, RefundStatus or PayoutStatus (a plain string
    is read as a payment status)."""
    labels = STATUS_LABELS.get(type(status), STATUS_LABELS[PaymentStatus])
    label = labels.get(status)
    return str(label) if label is not None else str(status)


@bp.app_template_filter("decline_reason")
def decline_reason(failure_message: str | None) -> str:
    """The translated reason for a failed payment; the provider's English text stays stored."""
    return str(declines.decline_reason(failure_message))


def minor_units(value) -> int | None:
    """A form's decimal amount (major units) in minor units."""
    if value is None or value == "":
        return None
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        raise ServiceError(_("Please enter an amount such as 99.00.")) from None


def int_or_400(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return bounded_int(value)
    except (TypeError, ValueError):
        abort(400)


from payments.views import (  # noqa: E402, F401
    campaigns,
    checkout,
    gifts,
    member,
    owner,
    questions,
    webhook,
    win_back,
)
