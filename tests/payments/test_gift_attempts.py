"""Gift code attempts are rate-limited per user and per address, like coupons; looking at the
form is not an attempt."""

from __future__ import annotations

import pytest

from tests.conftest import login


@pytest.fixture
def app_config():
    return {
        "BABEL_DEFAULT_LOCALE": "en",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "COUPON_ATTEMPT_RATE_LIMIT": "3 per hour",
    }


def test_code_attempts_are_rate_limited(client, make):
    login(client, make.user())
    statuses = [
        client.post("/gifts/redeem", data={"code": f"GIFT-AAAA-AAAA-AAAA-AAA{n}"}).status_code
        for n in range(5)
    ]
    assert statuses == [400, 400, 400, 429, 429]
    assert client.get("/gifts/redeem").status_code == 200
    other = client.application.test_client()
    login(other, make.user())
    # Another account from the same address is counted there too.
    assert other.post("/gifts/redeem", data={"code": "GIFT-X"}).status_code == 429
