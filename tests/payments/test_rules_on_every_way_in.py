"""Every way in (free join from the landing page or the join page, rejoin within the paid
term, paid checkout, trial) shows the planet's rules and needs the box ticked: without it the
form comes back with the reason beside the box (a 400) and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments import pricing
from payments.models import Payment
from planet.extensions import db
from planet.planets.models import MembershipStatus
from tests.payments.test_checkout import Who, membership

RULES = "Be kind. **No spam**, no affiliate links."
EN = {"Accept-Language": "en"}
REASON = "Please read and accept the planet&#39;s rules to join."


def _payments() -> int:
    return db.session.scalar(select(func.count(Payment.id)))


def _refused_beside_the_box(response) -> None:
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Be kind." in html and "<strong>No spam</strong>" in html  # the rules, rendered
    box = html.split('class="field has-error"', 1)[1].split("</div>", 1)[0]
    assert 'name="accept_rules"' in box and REASON in box


@pytest.fixture
def free_planet(make):
    return make.planet(price_amount=0, rules=RULES)


@pytest.fixture
def ruled_planet(make):
    return make.planet(price_amount=10000, currency="cny", rules=RULES)


@pytest.mark.parametrize("path", ["join", "join-free"])
def test_free_join_needs_the_rules_accepted(path, make, free_planet, client, login_as):
    user = make.user()
    login_as(user)
    page = client.get(f"/p/{free_planet.slug}/{'join' if path == 'join' else 'checkout'}")
    html = page.get_data(as_text=True)
    assert "Be kind." in html and 'name="accept_rules"' in html and "required" in html
    _refused_beside_the_box(client.post(f"/p/{free_planet.slug}/{path}", headers=EN))
    assert membership(free_planet, user) is None
    accepted = client.post(f"/p/{free_planet.slug}/{path}", data={"accept_rules": "y"})
    assert accepted.status_code == 302
    joined = membership(free_planet, user)
    assert joined.status is MembershipStatus.ACTIVE and joined.rules_accepted_at is not None


def test_paid_checkout_shows_the_rules_and_needs_them_accepted(
    make, provider, ruled_planet, client, login_as
):
    user = make.user()
    login_as(user)
    page = client.get(f"/p/{ruled_planet.slug}/checkout", headers=EN).get_data(as_text=True)
    assert "Be kind." in page
    form = page.split('class="checkout-form"', 1)[1].split("</form>", 1)[0]
    assert 'name="accept_rules"' in form and "required" in form
    data = {"planet_id": ruled_planet.id, "expected_amount": 10000}
    _refused_beside_the_box(client.post(f"/p/{ruled_planet.slug}/checkout", data=data, headers=EN))
    assert _payments() == 0 and membership(ruled_planet, user) is None
    accepted = client.post(f"/p/{ruled_planet.slug}/checkout", data={**data, "accept_rules": "y"})
    assert accepted.status_code == 302 and "/pay" in accepted.headers["Location"]
    assert _payments() == 1

    # A renewal is no way in: an active member is not asked again.
    renewing = make.user()
    make.member(ruled_planet, renewing, expires_in=timedelta(days=10))
    login_as(renewing)
    page = client.get(f"/p/{ruled_planet.slug}/checkout", headers=EN).get_data(as_text=True)
    assert 'name="accept_rules"' not in page
    assert client.post(f"/p/{ruled_planet.slug}/checkout", data=data).status_code == 302
    assert _payments() == 2


def test_a_trial_shows_the_rules_and_needs_them_accepted(
    make, provider, ruled_planet, client, login_as
):
    pricing.update_pricing(ruled_planet, Who(ruled_planet.owner), trial_days=7)
    db.session.commit()
    user = make.user()
    login_as(user)
    page = client.get(f"/p/{ruled_planet.slug}/checkout", headers=EN).get_data(as_text=True)
    form = page.split('class="checkout-form"', 1)[1].split("</form>", 1)[0]
    assert f'formaction="/p/{ruled_planet.slug}/trial"' in form and 'name="accept_rules"' in form
    _refused_beside_the_box(client.post(f"/p/{ruled_planet.slug}/trial", headers=EN))
    assert membership(ruled_planet, user) is None
    accepted = client.post(f"/p/{ruled_planet.slug}/trial", data={"accept_rules": "y"})
    assert accepted.status_code == 302
    started = membership(ruled_planet, user)
    assert started.is_trial and started.rules_accepted_at is not None


def test_rejoining_within_the_paid_term_needs_the_rules_accepted(
    make, provider, ruled_planet, client, login_as
):
    user = make.user()
    make.member(ruled_planet, user, status=MembershipStatus.LEFT, expires_in=timedelta(days=100))
    login_as(user)
    page = client.get(f"/p/{ruled_planet.slug}/join", headers=EN).get_data(as_text=True)
    assert "Be kind." in page and 'name="accept_rules"' in page
    _refused_beside_the_box(client.post(f"/p/{ruled_planet.slug}/join", headers=EN))
    assert membership(ruled_planet, user).status is MembershipStatus.LEFT
    accepted = client.post(f"/p/{ruled_planet.slug}/join", data={"accept_rules": "y"})
    assert accepted.status_code == 302
    assert membership(ruled_planet, user).status is MembershipStatus.ACTIVE
    assert _payments() == 0
