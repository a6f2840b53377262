"""A payment left during 3-D Secure (the tab was closed), against localstripe: its page offers
to finish the bank's check or start again instead of waiting forever; starting again cancels
the PaymentIntent at the provider; after the timeout the sweep cancels it and the page says
nothing was charged. A cancelled intent can never be charged later."""

from __future__ import annotations

from datetime import timedelta

import pytest

from payments import abandoned, grant
from payments.gateway import get_gateway
from payments.models import Payment, PaymentStatus
from planet.extensions import db
from planet.models import utcnow
from tests.payments.test_localstripe import checkout

pytestmark = pytest.mark.postgres

THREE_DS_CARD = "4000002760003184"


@pytest.fixture
def app_config(stripe_app_config):
    return stripe_app_config


def _left_during_3ds(client, login_as, make, card_token):
    planet = make.planet(price_amount=9900, currency="cny")
    buyer, payment_id, body = checkout(client, login_as, make, planet, card_token, THREE_DS_CARD)
    assert body["status"] == "requires_action"
    return planet, buyer, payment_id


def _intent(payment_id) -> dict:
    db.session.expire_all()
    return get_gateway().fetch_payment(db.session.get(Payment, payment_id).provider_intent_id)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_of_a_payment_left_in_3ds_offers_to_finish_or_start_again(
    client, login_as, make, card_token, lang
):
    _, _, payment_id = _left_during_3ds(client, login_as, make, card_token)
    client.set_cookie("lang", lang)

    page = client.get(f"/payments/{payment_id}", headers={"Accept-Language": lang})

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'http-equiv="refresh"' not in html  # no more waiting forever
    assert 'id="finish-button"' in html and f"/payments/{payment_id}/restart" in html
    wanted = "3-D Secure" if lang == "en" else "银行"
    assert wanted in html
    mine = client.get("/me/memberships", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert f'href="/payments/{payment_id}"' in mine  # found again from My memberships
    resume = client.post(f"/payments/{payment_id}/resume")
    assert resume.get_json()["status"] == "requires_action"
    assert resume.get_json()["client_secret"] == _intent(payment_id)["client_secret"]


def test_starting_again_cancels_the_intent_and_pays_afresh(client, login_as, make, card_token):
    _, _, payment_id = _left_during_3ds(client, login_as, make, card_token)
    first_intent = _intent(payment_id)["id"]

    restart = client.post(f"/payments/{payment_id}/restart")

    assert restart.status_code == 302 and restart.headers["Location"].endswith(
        f"/payments/{payment_id}/pay"
    )
    assert get_gateway().fetch_payment(first_intent)["status"] == "canceled"
    db.session.expire_all()
    assert db.session.get(Payment, payment_id).status is PaymentStatus.FAILED
    again = client.post(f"/payments/{payment_id}/confirm", json={"token": card_token()})
    assert again.get_json()["status"] == "succeeded"
    db.session.expire_all()
    payment = db.session.get(Payment, payment_id)
    assert payment.provider_intent_id != first_intent
    grant.sync_payment(payment)
    db.session.commit()
    assert payment.status is PaymentStatus.SUCCEEDED


def test_the_sweep_cancels_a_stale_one_and_the_page_says_so(
    app, client, login_as, make, card_token
):
    _, _, payment_id = _left_during_3ds(client, login_as, make, card_token)

    soon = abandoned.sweep_abandoned(utcnow() + timedelta(minutes=5))
    assert soon["cancelled"] == 0 and _intent(payment_id)["status"] == "requires_action"
    late = abandoned.sweep_abandoned(utcnow() + timedelta(minutes=31))
    again = abandoned.sweep_abandoned(utcnow() + timedelta(minutes=32))

    assert (late["cancelled"], again["cancelled"]) == (1, 0)
    assert _intent(payment_id)["status"] == "canceled"
    db.session.expire_all()
    assert db.session.get(Payment, payment_id).status is PaymentStatus.FAILED
    page = client.get(f"/payments/{payment_id}", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert "Nothing was charged" in html and "verification was not finished" in html
    assert f"/payments/{payment_id}/pay" in html
