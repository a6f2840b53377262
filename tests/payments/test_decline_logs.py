"""A declined card, and a card token the provider does not know, against a real localstripe:
the request's log lines (at DEBUG, everything the app and the Stripe SDK log) never hold the
card number or the card token, and every line carries the request id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from planet import logs
from tests.payments.test_localstripe import checkout

pytestmark = pytest.mark.postgres
DECLINED_CARD = "4000000000000341"  # attaches, then the charge is declined


@pytest.fixture
def app_config(stripe_app_config):
    return stripe_app_config


@pytest.fixture
def log_lines():
    buffer = io.StringIO()
    handler = logs.make_handler("json", buffer)
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)
    root.setLevel(previous_level)


def _confirm_lines(lines: list[dict]) -> list[dict]:
    confirm = [line for line in lines if line.get("endpoint") == "payments.confirm"]
    assert len(confirm) == 1, [line["message"] for line in lines]
    request_id = confirm[0]["request_id"]
    return [line for line in lines if line.get("request_id") == request_id]


def test_a_declined_card_leaves_no_card_detail_in_the_logs(
    client, login_as, make, card_token, log_lines
):
    tokens = []

    def remembered_token(number):
        tokens.append(card_token(number))
        return tokens[-1]

    planet = make.planet(price_amount=9900)
    _, _, body = checkout(client, login_as, make, planet, remembered_token, DECLINED_CARD)
    assert body["status"] == "failed"
    lines = log_lines()
    request = _confirm_lines(lines)
    assert any("declined" in line["message"] for line in request)
    text = "\n".join(json.dumps(line) for line in lines)
    assert tokens and tokens[0].startswith("tok_")
    for secret in (DECLINED_CARD, tokens[0], "sk_test_planet"):
        assert secret not in text, secret


def test_an_unknown_card_token_is_not_logged(client, login_as, make, log_lines):
    forged = "tok_forged9f8e7d6c5b4a"
    planet = make.planet(price_amount=9900)
    buyer = make.user()
    login_as(buyer)
    response = client.post(
        f"/p/{planet.slug}/checkout",
        data={"planet_id": planet.id, "expected_amount": planet.price_amount},
    )
    payment_id = int(response.headers["Location"].rstrip("/").split("/")[-2])
    result = client.post(f"/payments/{payment_id}/confirm", json={"token": forged})
    assert 400 <= result.status_code < 500
    lines = log_lines()
    request = _confirm_lines(lines)
    assert any("card token refused" in line["message"] for line in request)
    assert forged not in "\n".join(json.dumps(line) for line in lines)
