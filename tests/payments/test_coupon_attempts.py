"""Coupons are not an oracle: attempts are rate-limited per user and per client address, an
unknown, expired or used-up code gets the same answer, generated codes are long and
unambiguous, and the owner reads every attempt."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from payments import pricing
from payments.coupon_audit import CouponAttempt
from payments.models import CouponKind
from planet.extensions import db
from planet.models import utcnow
from tests.payments.test_checkout import Who


@pytest.fixture
def app_config():
    return {
        "BABEL_DEFAULT_LOCALE": "en",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "COUPON_ATTEMPT_RATE_LIMIT": "10 per hour",
    }


def _coupon(planet, code, **kwargs):
    values = {"kind": CouponKind.PERCENT, "value": 10, "max_uses": None, "expires_at": None}
    values.update(kwargs)
    return pricing.create_coupon(planet, Who(planet.owner), code=code, **values)


def _post(client, planet, code, address="10.0.0.1", expected=None):
    expected = planet.price_amount if expected is None else expected
    return client.post(
        f"/p/{planet.slug}/checkout",
        data={"planet_id": planet.id, "expected_amount": expected, "coupon": code},
        environ_base={"REMOTE_ADDR": address},
    )


def test_30_guesses_in_a_row_meet_429_after_the_limit(
    make, provider, client, login_as, paid_planet
):
    guesser = make.user()
    login_as(guesser)
    statuses = [_post(client, paid_planet, f"GUESS{n:04d}").status_code for n in range(30)]
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429] * 20
    # The price preview (the checkout page with ?coupon=) shares the same counter.
    preview = client.get(
        f"/p/{paid_planet.slug}/checkout?coupon=GUESS9999", environ_base={"REMOTE_ADDR": "10.0.0.1"}
    )
    assert preview.status_code == 429
    # A request without a code is not an attempt.
    assert client.get(f"/p/{paid_planet.slug}/checkout").status_code == 200


def test_the_limit_is_per_user_as_well_as_per_address(
    make, provider, client, login_as, paid_planet
):
    login_as(make.user())
    for n in range(10):
        assert _post(client, paid_planet, f"GUESS{n:04d}", address=f"10.1.0.{n}").status_code == 400
    # a new address does not reset this user's count
    assert _post(client, paid_planet, "GUESS0100", address="10.1.1.1").status_code == 429
    # another user at a fresh address may still try
    login_as(make.user())
    assert _post(client, paid_planet, "GUESS0101", address="10.2.0.1").status_code == 400


def test_the_limit_is_per_address_as_well_as_per_user(
    make, provider, client, login_as, paid_planet
):
    for n in range(10):
        login_as(make.user())
        assert _post(client, paid_planet, f"GUESS{n:04d}", address="10.3.0.1").status_code == 400
    login_as(make.user())  # a fresh account behind the same address waits
    assert _post(client, paid_planet, "GUESS0200", address="10.3.0.1").status_code == 429
    assert _post(client, paid_planet, "GUESS0201", address="10.3.0.2").status_code == 400


def _normalised(response) -> tuple[int, str]:
    text = response.get_data(as_text=True)
    text = re.sub(r'name="csrf_token"[^>]*value="[^"]*"', 'name="csrf_token"', text)
    text = re.sub(r'value="[^"]*"(?=[^>]*name="csrf_token")', "", text)
    text = re.sub(r'<meta name="csrf-token" content="[^"]*"', "<meta csrf>", text)
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    return response.status_code, text


def test_unknown_expired_and_used_up_codes_get_the_same_answer(
    make, provider, client, login_as, paid_planet
):
    _coupon(paid_planet, "EXPIRED1", expires_at=utcnow() - timedelta(days=1))
    used = _coupon(paid_planet, "USEDUP01", max_uses=1)
    used.used_count = 1
    db.session.commit()
    login_as(make.user())
    # The checkout itself: the same status and the same body, except for the code echoed back.
    answers = {
        code: _post(client, paid_planet, code) for code in ("NOSUCH01", "EXPIRED1", "USEDUP01")
    }
    assert {response.status_code for response in answers.values()} == {400}
    bodies = {_normalised(response)[1] for response in answers.values()}
    assert len(bodies) == 1
    # The price preview: the same page whatever is wrong with the code.
    pages = [
        _normalised(client.get(f"/p/{paid_planet.slug}/checkout?coupon={code}"))
        for code in ("NOSUCH01", "EXPIRED1", "USEDUP01")
    ]
    pages = [
        (status, text.replace(code, "CODE"))
        for (status, text), code in zip(pages, ("NOSUCH01", "EXPIRED1", "USEDUP01"), strict=True)
    ]
    assert pages[0] == pages[1] == pages[2]
    assert pages[0][0] == 200 and "This coupon code cannot be used." in pages[0][1]


def test_generated_codes_are_long_and_unambiguous(make, paid_planet):
    codes = {pricing.generate_coupon_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) >= 10
        assert not set(code) & set("0O1IL")
        assert set(code) <= set(pricing.COUPON_ALPHABET)
    coupon = _coupon(paid_planet, "")  # an empty code: a generated one
    assert len(coupon.code) >= 10 and not set(coupon.code) & set("0O1IL")


def test_owner_codes_are_at_least_6_characters(make, client, login_as, paid_planet):
    login_as(paid_planet.owner)
    data = {"form": "coupon", "coupon-kind": "percent", "coupon-value": "20"}
    short = client.post(f"/p/{paid_planet.slug}/money", data={**data, "coupon-code": "ABC"})
    assert short.status_code == 400
    empty = client.post(f"/p/{paid_planet.slug}/money", data={**data, "coupon-code": ""})
    assert empty.status_code == 302
    codes = db.session.scalars(select(pricing.Coupon.code)).all()
    assert len(codes) == 1 and len(codes[0]) == 10


def test_every_attempt_is_recorded_and_the_owner_reads_them(
    make, provider, client, login_as, paid_planet
):
    _coupon(paid_planet, "WELCOME10")
    db.session.commit()
    guesser = make.user(name="Guesser")
    login_as(guesser)
    assert _post(client, paid_planet, "NOSUCH01").status_code == 400
    assert _post(client, paid_planet, "welcome10", expected=9000).status_code == 302
    assert client.get(f"/p/{paid_planet.slug}/checkout?coupon=WELCOME10").status_code == 200
    db.session.expire_all()
    attempts = db.session.scalars(select(CouponAttempt).order_by(CouponAttempt.id)).all()
    assert [a.outcome for a in attempts] == ["unknown", "accepted", "accepted"]
    assert all(a.user_id == guesser.id and a.address == "10.0.0.1" for a in attempts[:2])
    assert attempts[1].code_masked == "WE*******" and "WELCOME10" not in attempts[1].code_hash
    assert attempts[1].code_hash == attempts[2].code_hash
    login_as(paid_planet.owner)
    page = client.get(f"/p/{paid_planet.slug}/money").get_data(as_text=True)
    assert "Coupon code attempts" in page
    assert "Guesser" in page and "NO******" in page and "Unknown code" in page
    assert "NOSUCH01" not in page
    login_as(guesser)
    assert client.get(f"/p/{paid_planet.slug}/money").status_code == 403
