"""The payment gateway: the only code that talks to Stripe, through the official SDK.

A small interface (`Gateway`) with one implementation (`StripeGateway`) that wraps a
per-instance `stripe.StripeClient` (never the global `stripe.api_key`) whose base address comes
from configuration: the real API in production, localstripe in development and tests. Tests
that need what localstripe lacks (Connect transfers, refund events) pass a fake
`stripe.HTTPClient`; no test double lives in this module.

Every call that creates something takes an `idempotency_key` derived from our own stored id.
Results are plain dicts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import stripe
from flask import current_app


class GatewayError(Exception):
    """The provider could not be reached or refused the request."""


class PaymentDeclined(GatewayError):
    """The card was declined (or failed authentication)."""

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


class InvalidRequest(GatewayError):
    """The provider refused what we sent (e.g. a card token it does not know)."""


class SignatureError(GatewayError):
    """A webhook whose signature (or timestamp) does not verify."""


class Gateway(Protocol):
    def create_customer(self, *, email: str, metadata: dict, idempotency_key: str) -> dict: ...
    def save_card(self, *, customer_id: str, token: str, idempotency_key: str) -> dict: ...
    def create_payment(
        self,
        *,
        amount: int,
        currency: str,
        customer_id: str,
        payment_method_id: str,
        metadata: dict,
        idempotency_key: str,
        off_session: bool = False,
        transfer_group: str | None = None,
    ) -> dict: ...
    def fetch_payment(self, intent_id: str) -> dict: ...
    def cancel_payment(self, intent_id: str, idempotency_key: str) -> dict: ...
    def refund(
        self, *, intent_id: str, amount: int, metadata: dict, idempotency_key: str
    ) -> dict: ...
    def list_refunds(self, intent_id: str) -> list[dict]: ...
    def transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        transfer_group: str,
        metadata: dict,
        idempotency_key: str,
    ) -> dict: ...
    def list_payments(self, created_gte: int) -> Iterator[dict]: ...
    def list_customer_charges(self, customer_id: str, created_gt: int) -> Iterator[dict]: ...
    def list_events(self, created_gte: int) -> Iterator[dict]: ...
    def construct_event(self, payload: bytes, signature: str | None, secret: str) -> dict: ...


WEBHOOK_TOLERANCE_SECONDS = 300


class StripeGateway:
    def __init__(
        self,
        secret_key: str,
        api_base: str,
        *,
        http_client: stripe.HTTPClient | None = None,
        connect_enabled: bool = False,
        max_network_retries: int = 2,
    ):
        self.connect_enabled = connect_enabled
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/"), "connect": api_base.rstrip("/")},
            http_client=http_client,
            max_network_retries=max_network_retries,
        )

    # -------------------------------------------------------------- helpers

    @staticmethod
    def _dict(obj) -> dict:
        return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)

    def _call(self, func, *args, **kwargs) -> dict:
        try:
            return self._dict(func(*args, **kwargs))
        except stripe.CardError as error:
            raise PaymentDeclined(error.user_message or str(error), error.code or "") from error
        except stripe.InvalidRequestError as error:
            raise InvalidRequest(str(error)) from error
        except stripe.StripeError as error:
            raise GatewayError(str(error)) from error

    # -------------------------------------------------------------- customers and cards

    def create_customer(self, *, email: str, metadata: dict, idempotency_key: str) -> dict:
        return self._call(
            self.client.v1.customers.create,
            params={"email": email, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )

    def save_card(self, *, customer_id: str, token: str, idempotency_key: str) -> dict:
        """Attach a tokenized card to the customer, reusable later (also off-session)."""
        return self._call(
            self.client.v1.customers.payment_sources.create,
            customer_id,
            params={"source": token},
            options={"idempotency_key": idempotency_key},
        )

    # -------------------------------------------------------------- payments

    def create_payment(
        self,
        *,
        amount: int,
        currency: str,
        customer_id: str,
        payment_method_id: str,
        metadata: dict,
        idempotency_key: str,
        off_session: bool = False,
        transfer_group: str | None = None,
    ) -> dict:
        """Create and confirm a PaymentIntent on the server (server-side confirmation)."""
        params = {
            "amount": amount,
            "currency": currency,
            "customer": customer_id,
            "payment_method": payment_method_id,
            "confirm": True,
            "metadata": {key: str(value) for key, value in metadata.items()},
        }
        if off_session:
            params["off_session"] = True
        if transfer_group and self.connect_enabled:
            params["transfer_group"] = transfer_group
        return self._call(
            self.client.v1.payment_intents.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )

    def fetch_payment(self, intent_id: str) -> dict:
        return self._call(self.client.v1.payment_intents.retrieve, intent_id)

    def cancel_payment(self, intent_id: str, idempotency_key: str) -> dict:
        """Cancel a PaymentIntent that was never charged (it can never be charged after)."""
        return self._call(
            self.client.v1.payment_intents.cancel,
            intent_id,
            options={"idempotency_key": idempotency_key},
        )

    def refund(self, *, intent_id: str, amount: int, metadata: dict, idempotency_key: str) -> dict:
        return self._call(
            self.client.v1.refunds.create,
            params={
                "payment_intent": intent_id,
                "amount": amount,
                "metadata": {key: str(value) for key, value in metadata.items()},
            },
            options={"idempotency_key": idempotency_key},
        )

    def list_refunds(self, intent_id: str) -> list[dict]:
        result = self._call(
            self.client.v1.refunds.list, params={"payment_intent": intent_id, "limit": 100}
        )
        return list(result.get("data", []))

    def transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        transfer_group: str,
        metadata: dict,
        idempotency_key: str,
    ) -> dict:
        """Separate charges and transfers (Connect): move money to a connected account."""
        return self._call(
            self.client.v1.transfers.create,
            params={
                "amount": amount,
                "currency": currency,
                "destination": destination,
                "transfer_group": transfer_group,
                "metadata": {key: str(value) for key, value in metadata.items()},
            },
            options={"idempotency_key": idempotency_key},
        )

    def fetch(self, kind: str, object_id: str) -> dict:
        service = {
            "payment_intent": self.client.v1.payment_intents,
            "refund": self.client.v1.refunds,
            "customer": self.client.v1.customers,
            "transfer": self.client.v1.transfers,
            "event": self.client.v1.events,
            "dispute": self.client.v1.disputes,
        }[kind]
        return self._call(service.retrieve, object_id)

    def _paginate(self, service, params: dict) -> Iterator[dict]:
        starting_after = None
        while True:
            page_params = dict(params, limit=100)
            if starting_after:
                page_params["starting_after"] = starting_after
            page = self._call(service.list, params=page_params)
            data = page.get("data", [])
            yield from data
            if not page.get("has_more") or not data:
                return
            starting_after = data[-1]["id"]

    def list_payments(self, created_gte: int) -> Iterator[dict]:
        return self._paginate(self.client.v1.payment_intents, {"created": {"gte": created_gte}})

    def list_events(self, created_gte: int) -> Iterator[dict]:
        return self._paginate(self.client.v1.events, {"created": {"gte": created_gte}})

    # -------------------------------------------------------------- webhooks

    def construct_event(self, payload: bytes, signature: str | None, secret: str) -> dict:
        """Verify the signature on the raw body (300 s tolerance) and parse the event."""
        try:
            event = self.client.construct_event(
                payload, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise SignatureError(str(error)) from error
        return self._dict(event)

    # -------------------------------------------------------------- reconciliation lists

    def list_charges(self, created_gt: int) -> Iterator[dict]:
        """Charges created after `created_gt` (any origin: our intents or made elsewhere)."""
        return self._paginate(self.client.v1.charges, {"created": {"gt": created_gt}})

    def list_customer_charges(self, customer_id: str, created_gt: int) -> Iterator[dict]:
        """One customer's charges created after `created_gt`."""
        return self._paginate(
            self.client.v1.charges, {"customer": customer_id, "created": {"gt": created_gt}}
        )

    def list_recent_refunds(self, created_gte: int) -> Iterator[dict]:
        """Refunds newest first, stopping at the first one older than `created_gte` (the list
        is sorted by creation; localstripe has no `created` filter on refunds)."""
        for refund in self._paginate(self.client.v1.refunds, {}):
            if int(refund.get("created") or 0) < created_gte:
                return
            yield refund

    def fetch_charge(self, charge_id: str) -> dict:
        return self._call(self.client.v1.charges.retrieve, charge_id)

    def refund_charge(
        self, *, charge_id: str, amount: int, metadata: dict, idempotency_key: str
    ) -> dict:
        """Refund a charge by its id (a stray charge may have no PaymentIntent)."""
        return self._call(
            self.client.v1.refunds.create,
            params={
                "charge": charge_id,
                "amount": amount,
                "metadata": {key: str(value) for key, value in metadata.items()},
            },
            options={"idempotency_key": idempotency_key},
        )


def get_gateway() -> Gateway:
    """The app's gateway (one per app, built from configuration; tests may replace it)."""
    extensions = current_app.extensions
    gateway = extensions.get("payments_gateway")
    if gateway is None:
        config = current_app.config
        gateway = StripeGateway(
            config["STRIPE_SECRET_KEY"],
            config["STRIPE_API_BASE"],
            connect_enabled=config.get("STRIPE_CONNECT_ENABLED", False),
        )
        extensions["payments_gateway"] = gateway
    return gateway
