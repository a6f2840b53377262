"""Paid questions through the pages (fake provider): prices, asking, paying, the waiting list
with its deadline, declining, peeking; bad input answers a 4xx in the page's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments import grant
from payments.models import Payment, PaymentKind, PaymentStatus
from planet.content.models import Audience, PaidStatus, QuestionOffer, Topic
from planet.content.services import paid_questions as paid
from planet.extensions import db
from planet.planets.models import Role
from tests.payments.test_checkout import Who

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(make, provider):
    owner = make.user(name="Owner")
    planet = make.planet(owner, price_amount=10000, currency="cny")
    guest = make.user(name="Guest")
    make.member(planet, guest, role=Role.GUEST)
    member = make.user(name="Member")
    make.member(planet, member)
    visitor = make.user(name="Visitor")
    return type("World", (), locals())


def set_price(client, login_as, world, who, price, audience="both", headers=None):
    login_as(who)
    return client.post(
        f"/p/{world.planet.slug}/question-price",
        data={"which": "price", "price-price": price, "price-audience": audience},
        headers=headers or {},
    )


def test_a_guest_sets_a_price_and_bad_prices_are_4xx_in_chinese(client, login_as, world):
    page = set_price(client, login_as, world, world.guest, "0", headers=ZH)
    assert page.status_code == 400 and "价格" in page.get_data(as_text=True)
    for bad in ("-5", "100000.01", "abc"):
        assert set_price(client, login_as, world, world.guest, bad).status_code == 400
    assert db.session.scalar(select(func.count(QuestionOffer.id))) == 0
    assert set_price(client, login_as, world, world.guest, "12.50").status_code == 302
    offer = paid.offer_of(world.planet.id, world.guest.id)
    assert offer.price == 1250 and offer.audience is Audience.BOTH
    # A member has no price to set.
    assert set_price(client, login_as, world, world.member, "5").status_code == 403


def test_the_owner_rules_refuse_a_deadline_in_the_past(client, login_as, world):
    login_as(world.owner)
    url = f"/p/{world.planet.slug}/question-price"
    for hours in ("0", "-3", "721"):
        data = {"which": "rules", "rules-deadline_hours": hours, "rules-guest_share": "60"}
        page = client.post(url, data={**data, "rules-peek_price": "1"}, headers=ZH)
        assert page.status_code == 400, hours
    data = {"which": "rules", "rules-deadline_hours": "24", "rules-guest_share": "60"}
    assert client.post(url, data={**data, "rules-peek_price": "2"}).status_code == 302
    from payments.pricing import pricing_of

    rules = pricing_of(world.planet)
    assert (rules.question_deadline_hours, rules.guest_question_share_bps) == (24, 6000)
    assert rules.peek_price == 200
    login_as(world.guest)  # a guest sets their price, not the planet's rules
    assert client.post(url, data={**data, "rules-peek_price": "9"}).status_code == 403


def test_visitor_asks_pays_guest_declines_and_answering_it_is_refused(
    client, login_as, world, provider
):
    assert set_price(client, login_as, world, world.guest, "30", "visitors").status_code == 302
    login_as(world.visitor)
    landing = client.get(f"/p/{world.planet.slug}/about").get_data(as_text=True)
    ask_url = f"/p/{world.planet.slug}/ask/{world.guest.id}/paid"
    assert ask_url in landing
    page = client.get(ask_url)
    assert page.status_code == 200 and "¥30.00" in page.get_data(as_text=True)
    # A stale price on the form is refused, nothing written.
    stale = client.post(ask_url, data={"body": "Q?", "expected_amount": "2999"})
    assert stale.status_code == 409
    assert db.session.scalar(select(func.count(Topic.id))) == 0
    asked = client.post(ask_url, data={"body": "VISITOR-QUESTION", "expected_amount": "3000"})
    assert asked.status_code == 302 and "/pay" in asked.headers["Location"]
    payment = db.session.scalar(select(Payment).where(Payment.kind == PaymentKind.QUESTION))
    pay_page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "¥30.00" in pay_page
    confirmed = client.post(f"/payments/{payment.id}/confirm", json={"token": "tok_ok"})
    assert confirmed.get_json()["status"] == "succeeded"
    # Paying again for the same question: 409.
    again = client.post(f"/p/{world.planet.slug}/t/{payment.topic_id}/pay-question", headers=ZH)
    assert again.status_code == 409
    grant.sync_payment(db.session.get(Payment, payment.id))
    db.session.commit()
    topic_url = f"/p/{world.planet.slug}/t/{payment.topic_id}"
    mine = client.get(topic_url)
    assert mine.status_code == 200 and "VISITOR-QUESTION" in mine.get_data(as_text=True)
    assert client.get(f"/p/{world.planet.slug}/").status_code == 302  # nothing else
    # The guest's waiting list: the paid question first, with its deadline and decline.
    login_as(world.guest)
    waiting = client.get(f"/p/{world.planet.slug}/questions?show=waiting").get_data(as_text=True)
    assert 'id="paid-waiting"' in waiting and "VISITOR-QUESTION" in waiting
    assert f"/t/{payment.topic_id}/decline" in waiting
    declined = client.post(f"/p/{world.planet.slug}/t/{payment.topic_id}/decline")
    assert declined.status_code == 302
    db.session.expire_all()
    assert db.session.get(Topic, payment.topic_id).paid_status is PaidStatus.DECLINED
    assert db.session.get(Payment, payment.id).status is PaymentStatus.REFUNDED
    answer = client.post(f"{topic_url}/answer", data={"body": "late"}, headers=ZH)
    assert answer.status_code == 409 and "退款" in answer.get_data(as_text=True)


def test_private_answer_is_hidden_and_peek_opens_it(client, login_as, world, make, provider):
    paid.set_offer(world.planet, Who(world.owner), 2000, Audience.MEMBERS)
    db.session.commit()
    login_as(world.member)
    ask_url = f"/p/{world.planet.slug}/ask/{world.owner.id}/paid"
    form = {"body": "PRIVATE-Q", "answer_private": "y", "expected_amount": "2000"}
    assert client.post(ask_url, data=form).status_code == 302
    payment = db.session.scalar(select(Payment).where(Payment.kind == PaymentKind.QUESTION))
    client.post(f"/payments/{payment.id}/confirm", json={"token": "tok_ok"})
    grant.sync_payment(db.session.get(Payment, payment.id))
    db.session.commit()
    login_as(world.owner)
    topic_url = f"/p/{world.planet.slug}/t/{payment.topic_id}"
    page = client.get(topic_url, headers=EN).get_data(as_text=True)
    assert 'data-paid-status="waiting"' in page and "Answer due" in page
    assert client.post(f"{topic_url}/answer", data={"body": "PRIVATE-ANSWER"}).status_code == 302
    reader = make.user()
    make.member(world.planet, reader)
    login_as(reader)
    hidden = client.get(topic_url).get_data(as_text=True)
    assert "PRIVATE-ANSWER" not in hidden and f"{topic_url}/peek" in hidden
    listed = client.get(f"/p/{world.planet.slug}/questions?show=private").get_data(as_text=True)
    assert "PRIVATE-Q" in listed and "PRIVATE-ANSWER" not in listed
    peek = client.post(f"{topic_url}/peek")
    assert peek.status_code == 302
    peek_payment = db.session.scalar(select(Payment).where(Payment.kind == PaymentKind.PEEK))
    assert peek_payment.amount == 100
    client.post(f"/payments/{peek_payment.id}/confirm", json={"token": "tok_ok"})
    grant.sync_payment(db.session.get(Payment, peek_payment.id))
    db.session.commit()
    assert "PRIVATE-ANSWER" in client.get(topic_url).get_data(as_text=True)
    assert client.post(f"{topic_url}/peek").status_code == 409  # paying twice
    login_as(world.member)
    assert "PRIVATE-ANSWER" in client.get(topic_url).get_data(as_text=True)


def test_deadline_badge_reads_in_chinese(client, login_as, world, provider):
    paid.set_offer(world.planet, Who(world.guest), 500, Audience.MEMBERS)
    db.session.commit()
    login_as(world.member)
    url = f"/p/{world.planet.slug}/ask/{world.guest.id}/paid"
    client.post(url, data={"body": "Q", "expected_amount": "500"})
    payment = db.session.scalar(select(Payment))
    client.post(f"/payments/{payment.id}/confirm", json={"token": "tok_ok"})
    grant.sync_payment(db.session.get(Payment, payment.id))
    db.session.commit()
    topic = db.session.get(Topic, payment.topic_id)
    assert topic.due_at - payment.paid_at == timedelta(hours=48)
    page = client.get(f"/p/{world.planet.slug}/t/{topic.id}", headers=ZH).get_data(as_text=True)
    assert "已付费，等待回答" in page and "天后" in page
