"""Gifts: a member buys a year for someone else through checkout (fake provider); the verified
payment makes the code usable and mails it; the recipient redeems it once (20 at once: one
membership); unknown and used codes answer alike; attempts are rate-limited."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments import checkout, gifts, grant, refunds
from payments.models import GiftCode, LedgerEntry, Payment, PaymentKind, PaymentStatus
from planet import jobs
from planet.accounts.models import User
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipSource
from tests.conftest import login
from tests.payments.test_checkout import Who


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def buy_gift(client, planet, recipient=""):
    response = client.post(f"/p/{planet.slug}/gift", data={"recipient_email": recipient})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalar(
        select(Payment).where(Payment.kind == PaymentKind.GIFT).order_by(Payment.id.desc())
    )


def paid_gift(app, make, planet, provider, recipient="") -> GiftCode:
    buyer = make.user(email=f"buyer{make.user().id}@example.com")
    db.session.commit()
    client = app.test_client()
    login(client, buyer)
    payment = buy_gift(client, planet, recipient)
    checkout.confirm_payment(payment, Who(buyer), "tok_ok")
    assert grant.sync_payment(payment) == "gift"
    jobs.commit()  # as the webhook job does: the gift's mail job runs after the commit
    return gifts.gift_of(payment)


def test_a_gift_grants_the_buyer_nothing_and_its_code_works_once(
    app, client, make, provider, paid_planet, smtp_catcher
):
    buyer = make.user(email="ann@example.com")
    db.session.commit()
    login(client, buyer)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    payment = buy_gift(client, paid_planet, "bob@example.com")
    code = gifts.gift_of(payment).code
    # Not paid yet: the code is refused, like an unknown one.
    bob = make.user(email="bob@example.com")
    db.session.commit()
    tab = app.test_client()
    tab.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(tab, bob)
    refused = tab.post("/gifts/redeem", data={"code": code})
    assert refused.status_code == 400 and "not valid" in refused.get_data(as_text=True)

    checkout.confirm_payment(payment, Who(buyer), "tok_ok")
    assert grant.sync_payment(payment) == "gift"
    db.session.commit()
    assert grant.sync_payment(payment) == "already applied"
    assert payment.status is PaymentStatus.SUCCEEDED
    assert count(Membership, Membership.user_id == buyer.id) == 0
    assert db.session.scalar(select(func.sum(LedgerEntry.amount))) == paid_planet.price_amount
    status_page = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert code in status_page
    mine = client.get("/me/memberships").get_data(as_text=True)
    assert f'/payments/{payment.id}">Gift code' in mine and "Redeem a gift code" in mine

    assert tab.post("/gifts/redeem", data={"code": code.lower()}).status_code == 302
    membership = db.session.scalar(select(Membership).where(Membership.user_id == bob.id))
    assert membership.source is MembershipSource.GIFT
    assert 364 <= (membership.expires_at - utcnow()).days <= 365
    again = tab.post("/gifts/redeem", data={"code": code})
    unknown = tab.post("/gifts/redeem", data={"code": "GIFT-AAAA-BBBB-CCCC-DDDD"})
    assert again.status_code == unknown.status_code == 400
    assert "not valid or has already been used" in again.get_data(as_text=True)
    assert "not valid or has already been used" in unknown.get_data(as_text=True)
    assert count(Membership, Membership.user_id == bob.id) == 1


def test_the_code_is_mailed_to_the_recipient(app, make, provider, paid_planet, smtp_catcher):
    gift = paid_gift(app, make, paid_planet, provider, recipient="cy@example.com")
    [mail] = smtp_catcher.to("cy@example.com")
    assert gift.code in smtp_catcher.text(mail)
    assert any("/gifts/redeem" in link for link in smtp_catcher.links(mail))


def test_gift_codes_are_random_and_long():
    codes = {gifts.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 24 and code.startswith("GIFT-") for code in codes)


@pytest.mark.postgres
def test_one_code_redeemed_by_20_requests_at_once_makes_one_membership(
    app, make, provider, paid_planet
):
    gift = paid_gift(app, make, paid_planet, provider)
    code, gift_id = gift.code, gift.id
    clients = []
    for n in range(20):
        tab = app.test_client()
        login(tab, make.user(email=f"racer{n}@example.com"))
        clients.append(tab)
    barrier = threading.Barrier(len(clients))
    statuses = []

    def redeem(tab):
        barrier.wait()
        statuses.append(tab.post("/gifts/redeem", data={"code": code}).status_code)

    threads = [threading.Thread(target=redeem, args=(tab,)) for tab in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [302] + [400] * 19
    db.session.expire_all()
    assert count(Membership, Membership.source == MembershipSource.GIFT) == 1
    assert db.session.get(GiftCode, gift_id).redeemed_by_id is not None


def test_a_refunded_gift_takes_its_year_back_and_its_code_stops(app, make, provider, paid_planet):
    gift = paid_gift(app, make, paid_planet, provider)
    payment = db.session.get(Payment, gift.payment_id)
    rita = make.user(email="rita@example.com")
    db.session.commit()
    tab = app.test_client()
    login(tab, rita)
    assert tab.post("/gifts/redeem", data={"code": gift.code}).status_code == 302
    owner = db.session.get(User, paid_planet.owner_id)
    refunds.refund_payment(payment, Who(owner))
    jobs.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == rita.id))
    assert not membership.is_entitled_at(utcnow() + timedelta(days=2))
    unused = paid_gift(app, make, paid_planet, provider)
    refunds.refund_payment(db.session.get(Payment, unused.payment_id), Who(owner))
    jobs.commit()
    other = app.test_client()
    login(other, make.user())
    assert other.post("/gifts/redeem", data={"code": unused.code}).status_code == 400


def test_gift_links_where_a_person_would_look(client, make, paid_planet):
    login(client, make.user())
    gift_link = f'href="/p/{paid_planet.slug}/gift"'
    for page in (f"/p/{paid_planet.slug}/about", f"/p/{paid_planet.slug}/checkout"):
        text = client.get(page).get_data(as_text=True)
        assert gift_link in text and 'href="/gifts/redeem"' in text, page
    assert 'href="/gifts/redeem"' in client.get("/me/memberships").get_data(as_text=True)
