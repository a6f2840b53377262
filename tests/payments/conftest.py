"""Payments test helpers: a stateful fake provider on the SDK's HTTP client, and set-up."""

from __future__ import annotations

import itertools

import pytest

from payments.gateway import StripeGateway
from tests.plugins.stripe import FakeStripeHTTP

DECLINED = "tok_declined"
UNKNOWN_TOKEN = "tok_unknown"
THREE_DS = "tok_3ds"


class FakeProvider(FakeStripeHTTP):
    """Just enough Stripe for service tests: customers, cards, intents, refunds, transfers."""

    def __init__(self):
        super().__init__()
        self.ids = itertools.count(1)
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.cards: dict[str, str] = {}
        self.transfers: list[dict] = []
        self.disputes: dict[str, dict] = {}
        self.fail_transfers = False
        self.routes = {
            ("POST", "/v1/customers"): lambda p: {
                "id": f"cus_{next(self.ids)}",
                "object": "customer",
            },
            ("GET", "/v1/payment_intents"): self._list_intents,
            ("GET", "/v1/events"): lambda p: {"object": "list", "has_more": False, "data": []},
            ("POST", "/v1/payment_intents"): self._create_intent,
            ("POST", "/v1/refunds"): self._refund,
            ("GET", "/v1/refunds"): lambda p: {
                "object": "list",
                "has_more": False,
                "data": [
                    r
                    for r in self.refunds.values()
                    if r["payment_intent"] == p.get("payment_intent")
                ],
            },
            ("POST", "/v1/transfers"): self._transfer,
            ("GET", "/v1/charges"): self._list_charges,
        }

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        from urllib.parse import urlsplit

        path = urlsplit(url).path
        if (
            method.upper() == "POST"
            and path.startswith("/v1/customers/")
            and path.endswith("/sources")
        ):
            self.requests.append({"method": "POST", "path": path, "params": post_data})
            token = dict(__import__("urllib.parse").parse.parse_qsl(post_data))["source"]
            if token == UNKNOWN_TOKEN:
                error = {"type": "invalid_request_error", "message": "No such token"}
                return __import__("json").dumps({"error": error}), 400, {}
            card = f"card_{next(self.ids)}"
            self.cards[card] = token
            return __import__("json").dumps({"id": card, "object": "card"}), 200, {}
        if method.upper() == "GET" and path.startswith("/v1/disputes/"):
            self.requests.append({"method": "GET", "path": path, "params": {}})
            dispute = self.disputes.get(path.rsplit("/", 1)[1])
            if dispute is None:
                return '{"error": {"message": "no such dispute"}}', 404, {}
            return __import__("json").dumps(dispute), 200, {}
        if method.upper() == "GET" and path.startswith("/v1/payment_intents/"):
            self.requests.append({"method": "GET", "path": path, "params": {}})
            intent = self.intents.get(path.rsplit("/", 1)[1])
            if intent is None:
                return (
                    '{"error": {"message": "no such intent", "type": "invalid_request_error"}}',
                    404,
                    {},
                )
            return __import__("json").dumps(intent), 200, {}
        return super().request(method, url, headers, post_data, _usage=_usage)

    def _create_intent(self, params):
        token = self.cards.get(params.get("payment_method"), "tok_ok")
        if token == DECLINED:
            return {
                "_status": 402,
                "error": {
                    "type": "card_error",
                    "code": "card_declined",
                    "message": "Your card was declined.",
                },
            }
        pid = f"pi_{next(self.ids)}"
        intent = {
            "id": pid,
            "object": "payment_intent",
            "amount": int(params["amount"]),
            "currency": params["currency"],
            "customer": params.get("customer"),
            "payment_method": params.get("payment_method"),
            "status": "requires_action" if token == THREE_DS else "succeeded",
            "client_secret": pid + "_secret_x",
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
        }
        self.intents[pid] = intent
        return dict(intent)

    def _list_charges(self, params):
        """A succeeded intent's charge, for the customer asked about."""
        charges = [
            {
                "id": "ch_" + intent["id"],
                "object": "charge",
                "payment_intent": intent["id"],
                "customer": intent["customer"],
                "status": "succeeded",
            }
            for intent in self.intents.values()
            if intent["status"] == "succeeded" and intent["customer"] == params.get("customer")
        ]
        return {"object": "list", "has_more": False, "data": charges}

    def _list_intents(self, params):
        return {"object": "list", "has_more": False, "data": list(self.intents.values())}

    def _refund(self, params):
        rid = f"re_{next(self.ids)}"
        refund = {
            "id": rid,
            "object": "refund",
            "amount": int(params["amount"]),
            "payment_intent": params["payment_intent"],
            "status": "succeeded",
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
        }
        self.refunds[rid] = refund
        return dict(refund)

    def _transfer(self, params):
        if self.fail_transfers:
            return {"_status": 500, "error": {"type": "api_error", "message": "down"}}
        transfer = {"id": f"tr_{next(self.ids)}", "object": "transfer", **params}
        self.transfers.append(transfer)
        return dict(transfer)

    def dispute(self, intent_id, amount, status="needs_response", dispute_id="dp_1"):
        """The buyer's bank disputes (part of) a payment; call again to change its status."""
        self.disputes[dispute_id] = {
            "id": dispute_id,
            "object": "dispute",
            "amount": amount,
            "charge": "ch_" + intent_id,
            "payment_intent": intent_id,
            "reason": "fraudulent",
            "status": status,
        }
        return self.disputes[dispute_id]

    def succeed(self, intent_id):
        self.intents[intent_id]["status"] = "succeeded"


@pytest.fixture
def provider(app):
    fake = FakeProvider()
    app.extensions["payments_gateway"] = StripeGateway(
        "sk_test_fake",
        "http://fake.invalid",
        http_client=fake,
        connect_enabled=True,
        max_network_retries=0,
    )
    return fake


@pytest.fixture
def paid_planet(make):
    return make.planet(price_amount=10000, currency="cny")
