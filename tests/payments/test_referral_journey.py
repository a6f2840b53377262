"""A member's share link pays its commission: landing page → Join → log in → checkout → card
at localstripe → signed webhook → the referrer's row in the ledger, all over HTTP against a
live server (PostgreSQL, CSRF on). Every link and form is taken from the pages as served.
An edited code pays nobody and breaks nothing; the join funnel counts what the ledger pays.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from sqlalchemy import select

from payments import pricing
from payments.models import LedgerEntry, Party, Payment
from planet.engagement.insights import health, landing_views
from planet.engagement.insights.models import FunnelSource, FunnelStage
from planet.extensions import db
from planet.models import utcnow
from tests.factories import PASSWORD
from tests.payments.pages import Page
from tests.payments.test_checkout import Who
from tests.payments.test_localstripe import active, wait_until

pytestmark = pytest.mark.postgres

PRICE = 9900
RATE_BPS = 2000


@pytest.fixture
def app_config(stripe_app_config):
    return {**stripe_app_config, "WTF_CSRF_ENABLED": True}


class Visitor:
    """A browser on the live server: cookies kept, English pages, redirects followed."""

    def __init__(self, base: str, name: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"
        self.http.headers["User-Agent"] = f"referral-journey/{name}"  # one funnel visitor each
        self.url = base

    def get(self, url: str) -> tuple[requests.Response, Page]:
        response = self.http.get(urljoin(self.url, url), timeout=20)
        self.url = response.url
        return response, Page(response.text)

    def submit(self, form: dict, **values) -> tuple[requests.Response, Page]:
        data = {**form["fields"], **values}
        response = self.http.post(urljoin(self.url, form["action"]), data=data, timeout=20)
        self.url = response.url
        return response, Page(response.text)


def referrer_link(live_server, referrer, planet) -> str:
    """The share link as the referrer finds it on their memberships page."""
    member = Visitor(live_server, "referrer")
    log_in(member, referrer, "/me/memberships")
    response, page = member.get("/me/memberships")
    assert response.status_code == 200
    links = [code for code in page.codes if f"/p/{planet.slug}" in code]
    assert len(links) == 1, page.codes
    return links[0]


def log_in(visitor: Visitor, user, next_url: str | None = None):
    response, page = visitor.get("/accounts/login" + (f"?next={next_url}" if next_url else ""))
    return visitor.submit(page.form("/accounts/login"), email=user.email, password=PASSWORD)


def join_and_pay(visitor: Visitor, landing_url: str, buyer, card_token, *, tamper_form=None):
    """Open the landing page, follow its Join link, log in from there, pay by card."""
    response, landing = visitor.get(landing_url)
    assert response.status_code == 200, response.text[:500]
    join_href = html.unescape(landing.link("Join"))
    response, checkout = visitor.get(join_href)
    assert response.status_code == 200
    # Not logged in yet: the checkout page's own login link brings us back to it.
    response, checkout = log_in_from(visitor, checkout, buyer)
    assert response.status_code == 200 and "/checkout" in response.url
    form = checkout.form("/checkout")
    if tamper_form:
        form["fields"]["ref"] = tamper_form(form["fields"].get("ref", ""))
    response, pay_page = visitor.submit(form)
    assert response.status_code == 200 and re.search(r"/payments/\d+/pay$", response.url)
    payment_id = int(response.url.rstrip("/").split("/")[-2])
    confirm = visitor.http.post(
        urljoin(visitor.url, pay_page.data["data-confirm-url"]),
        json={"token": card_token()},
        headers={"X-CSRFToken": pay_page.data["data-csrf"], "Accept": "application/json"},
        timeout=20,
    )
    assert confirm.status_code == 200 and confirm.json()["status"] == "succeeded", confirm.text
    return join_href, checkout, payment_id


def log_in_from(visitor: Visitor, page: Page, user):
    response, login_page = visitor.get(html.unescape(page.link("Log in to join")))
    form = login_page.form("/accounts/login")
    return visitor.submit(form, email=user.email, password=PASSWORD)


def ledger_rows(payment_id):
    db.session.expire_all()
    return {
        (e.party, e.user_id): e.amount
        for e in db.session.scalars(select(LedgerEntry).where(LedgerEntry.payment_id == payment_id))
    }


def test_a_shared_landing_link_pays_the_referrer_commission_and_a_tampered_one_nobody(
    app, make, card_token, live_server, register_webhook
):
    landing_views.flush_landing_views()  # views another test left in this process's buffer
    db.session.commit()
    planet = make.planet(price_amount=PRICE, currency="cny")
    pricing.update_pricing(planet, Who(planet.owner), referral_rate_bps=RATE_BPS)
    referrer = make.user(name="Referring Member")
    make.member(planet, referrer)
    buyer, other_buyer = make.user(), make.user()
    db.session.commit()
    register_webhook(live_server + "/webhooks/stripe")

    # The referrer shares their link; the visitor opens it as /p/<slug>?ref=... (the short
    # form of the planet's address), which lands on the landing page with the code kept.
    link = referrer_link(live_server, referrer, planet)
    code = parse_qs(urlsplit(link).query)["ref"][0]
    assert str(referrer.id) != code and len(code) <= 100
    visitor = Visitor(live_server, "invited")
    response, _ = visitor.get(f"/p/{planet.slug}?ref={code}")
    assert response.status_code == 200
    assert urlsplit(response.url).path == f"/p/{planet.slug}/about"
    assert parse_qs(urlsplit(response.url).query)["ref"] == [code]

    join_href, checkout, payment_id = join_and_pay(visitor, link, buyer, card_token)
    assert parse_qs(urlsplit(join_href).query)["ref"] == [code]
    assert "Invited by Referring Member" in " ".join(checkout.text.split())

    assert wait_until(lambda: active(planet.id, buyer.id))
    commission = PRICE * RATE_BPS // 10_000
    rows = ledger_rows(payment_id)
    assert rows[(Party.REFERRER, referrer.id)] == commission
    assert sum(rows.values()) == PRICE
    payment = db.session.get(Payment, payment_id)
    assert payment.referrer_id == referrer.id
    intent = requests.get(
        f"{app.config['STRIPE_API_BASE']}/v1/payment_intents/{payment.provider_intent_id}",
        headers={"Authorization": "Bearer sk_test_planet"},
        timeout=10,
    ).json()
    assert intent["metadata"]["referrer_id"] == str(referrer.id)

    # An edited code, in the link and then in the checkout form: no error, no commission.
    tampered = code[:-3] + ("aaa" if not code.endswith("aaa") else "bbb")
    other = Visitor(live_server, "tampering")
    landing_url = f"/p/{planet.slug}/about?ref={tampered}"
    join_href, checkout, payment_id = join_and_pay(
        other, landing_url, other_buyer, card_token, tamper_form=lambda ref: tampered
    )
    assert "ref" not in parse_qs(urlsplit(join_href).query)
    assert "Invited by" not in checkout.text
    assert wait_until(lambda: active(planet.id, other_buyer.id))
    rows = ledger_rows(payment_id)
    assert not [key for key in rows if key[0] is Party.REFERRER]
    assert sum(rows.values()) == PRICE
    assert db.session.get(Payment, payment_id).referrer_id is None

    # The owner's funnel counts one referral all the way, the tampered visit as direct (the
    # funnel's jobs run after the webhook's commit: wait for them).
    landing_views.flush_landing_views()
    db.session.commit()

    def funnel_row(source):
        table = health.funnel(planet, utcnow())
        return [table[source][stage] for stage in FunnelStage]

    assert wait_until(lambda: funnel_row(FunnelSource.DIRECT) == [1, 1, 1])
    assert funnel_row(FunnelSource.REFERRAL) == [1, 1, 1]
    referral_rows = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.party == Party.REFERRER)
    ).all()
    assert len(referral_rows) == funnel_row(FunnelSource.REFERRAL)[-1]
