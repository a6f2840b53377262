"""What a payer is told when the provider declines a card, by provider code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# ---------------------------------------------------------------- declines

DECLINE_REASONS = {
    "card_declined": _l("Your card was declined. Try another card or ask your bank."),
    "insufficient_funds": _l("Your card has insufficient funds."),
    "expired_card": _l("Your card has expired. Try another card."),
    "incorrect_cvc": _l("The card's security code (CVC) is incorrect."),
    "processing_error": _l(
        "The payment provider could not process your card. Nothing was charged; try again."
    ),
    "authentication_required": _l(
        "Your bank asked to verify this payment. Try again and complete the verification."
    ),
    "abandoned": _l(
        "The bank's verification was not finished, so the payment was cancelled. Nothing was "
        "charged; you can start again."
    ),
    "generic": _l("The payment did not go through. Nothing was charged; try another card."),
}
"""What the payer is told, by provider code. The provider's own text is English; it is kept
only in the logs and in `Payment.failure_message` (as "code: text")."""

DECLINE_ALIASES = {
    "generic_decline": "card_declined",
    "do_not_honor": "card_declined",
    "lost_card": "card_declined",  # like Stripe advises: never tell a fraud suspect why
    "stolen_card": "card_declined",
    "fraudulent": "card_declined",
    "pickup_card": "card_declined",
    "invalid_cvc": "incorrect_cvc",
    "authentication_not_handled": "authentication_required",
    "payment_intent_authentication_failure": "authentication_required",
    "authentication required": "authentication_required",
}


def decline_code(code: str | None, decline: str | None = None) -> str:
    """The DECLINE_REASONS key for a provider error code (and the issuer's decline code)."""
    for candidate in (decline, code):
        candidate = DECLINE_ALIASES.get(candidate or "", candidate or "")
        if candidate in DECLINE_REASONS and candidate != "card_declined":
            return candidate
    if decline or code == "card_declined":  # an issuer decline with no reason of its own
        return "card_declined"
    return "generic"


def decline_reason(failure_message: str | None):
    """The translated reason for a stored failure ("code: provider text", or older free text)."""
    head = (failure_message or "").split(":", 1)[0].strip()
    return DECLINE_REASONS[decline_code(head) if head else "generic"]


def failure_text(code: str, provider_message: str) -> str:
    return f"{code}: {provider_message}"[:255]
