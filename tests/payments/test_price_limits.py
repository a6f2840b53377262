"""One price limit: the owner's forms (create, settings) refuse a price above it with the reason
beside the field, and every price they accept can be checked out. Boundary values are walked
through the real pages: the form, the landing page's Join link, the checkout form, the card."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from payments import checkout, grant, pricing
from payments.models import Payment, PaymentStatus
from planet.errors import ServiceError
from planet.extensions import db
from planet.planets.forms import CreatePlanetForm
from planet.planets.models import Planet
from planet.planets.services import parse_price
from tests.payments.pages import Page
from tests.planet.planets.test_create import _form

ACCEPTED = ["0.01", "1", "99.99", "99999.99", "100000", "100000.00"]
REFUSED = ["100000.01", "100001", "1000000", "1e9"]


@pytest.fixture(autouse=True)
def _english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def owner(make, login_as):
    user = make.user()
    login_as(user)
    return user


def price_error(page: str) -> str | None:
    """The error shown beside the price field, if any."""
    match = re.search(
        r'<div class="field has-error">\s*<label for="price">.*?</label>\s*<input[^>]*'
        r'name="price"[^>]*>\s*(?:<small class="help">.*?</small>\s*)?'
        r'<small class="error">([^<]*)</small>',
        page,
        re.S,
    )
    return html.unescape(match.group(1)) if match else None


@pytest.mark.parametrize("price", REFUSED)
def test_creation_and_settings_refuse_a_price_above_the_limit_beside_the_field(
    client, owner, make, price
):
    response = client.post("/planets/new", data=_form(price=price))
    assert response.status_code == 400
    assert price_error(response.get_data(as_text=True)) == "The price cannot exceed 100,000."
    assert db.session.scalar(select(Planet).where(Planet.slug == "growth-lab")) is None

    planet = make.planet(owner, price_amount=19900)
    data = _form(price=price)
    data.pop("slug")
    response = client.post(f"/p/{planet.slug}/settings", data=data)
    assert response.status_code == 400
    assert price_error(response.get_data(as_text=True)) == "The price cannot exceed 100,000."
    db.session.expire_all()
    assert db.session.get(Planet, planet.id).price_amount == 19900


def test_the_form_tells_the_limit_before_anyone_types(client, owner):
    page = client.get("/planets/new").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="price"[^>]*>', page).group(0)
    assert 'max="100000"' in field and 'min="0"' in field and 'step="0.01"' in field
    assert "at most 100,000" in page


def _check_out(client, make, login_as, slug, expected_minor):
    """A visitor opens the landing page, follows Join and pays with a card (fake provider)."""
    buyer = make.user()
    login_as(buyer)
    landing = Page(client.get(f"/p/{slug}/about").get_data(as_text=True))
    join = client.get(html.unescape(landing.link("Join")))
    assert join.status_code == 200
    page = Page(join.get_data(as_text=True))
    form = page.form("/checkout")
    assert int(form["fields"]["expected_amount"]) == expected_minor
    response = client.post(form["action"], data=form["fields"])
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    payment = db.session.scalar(select(Payment).where(Payment.user_id == buyer.id))
    outcome = checkout.confirm_payment(payment, buyer, "tok_ok")
    assert outcome.status == "succeeded"
    assert grant.sync_payment(payment) == "granted"
    assert payment.status is PaymentStatus.SUCCEEDED and payment.amount == expected_minor


@pytest.mark.parametrize("price", ACCEPTED)
def test_every_price_the_forms_accept_can_be_checked_out(
    client, make, login_as, provider, owner, price
):
    response = client.post("/planets/new", data=_form(price=price))
    assert response.status_code == 302, price_error(response.get_data(as_text=True))
    minor = int(Decimal(price) * 100)
    assert db.session.scalar(select(Planet.price_amount).where(Planet.slug == "growth-lab")) == (
        minor
    )
    _check_out(client, make, login_as, "growth-lab", minor)

    # The same price set later in the settings form.
    login_as(owner)
    planet = make.planet(owner, price_amount=100)
    data = _form(price=price)
    data.pop("slug")
    assert client.post(f"/p/{planet.slug}/settings", data=data).status_code == 302
    _check_out(client, make, login_as, planet.slug, minor)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.decimals(min_value=0, max_value=200_000, places=3, allow_nan=False, allow_infinity=False))
def test_the_form_accepts_exactly_what_checkout_charges(app, value):
    """For any typed price: the form accepts it if and only if checkout's check accepts it."""
    text = str(value)
    with app.test_request_context(method="POST", data={**_form(price=text)}):
        form = CreatePlanetForm()
        form.validate()
        accepted = not form.price.errors
    try:
        minor = parse_price(text, "cny")
        pricing.check_price(minor, allow_zero=True)
        charged = True
    except ServiceError:
        charged = False
    assert accepted == charged, (text, form.price.errors)


def test_a_price_stored_before_the_limit_is_explained_on_the_checkout_page(
    client, make, login_as, provider
):
    planet = make.planet(price_amount=100_000_000)  # ¥1,000,000, as the forms once allowed
    login_as(make.user())
    response = client.get(f"/p/{planet.slug}/checkout")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "The price cannot exceed 100,000." in page
    assert "Continue to payment" not in page


def test_the_reason_is_in_chinese_for_a_chinese_owner(client, owner):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    response = client.post("/planets/new", data=_form(price="100000.01"))
    assert response.status_code == 400
    assert price_error(response.get_data(as_text=True)) == "价格不能超过 100,000。"
    page = client.get("/planets/new").get_data(as_text=True)
    assert "按年收费，最高 100,000。" in page
