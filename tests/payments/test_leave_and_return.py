"""Leaving a paid planet asks first (what is lost, the refund while it is still possible), and a
member who left and comes back within the term already paid gets the rest of it back free."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from payments import checkout, grant, refunds
from payments.models import Payment, PaymentStatus
from planet import policy
from planet.errors import Conflict
from planet.extensions import db
from planet.members import services as members
from planet.members.entitlement import paid_term_left
from planet.models import utcnow
from planet.planets.models import MembershipStatus
from tests.payments.test_checkout import Who, membership, pay

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _payments(user) -> int:
    return db.session.scalar(select(func.count(Payment.id)).where(Payment.user_id == user.id))


def _paid_member(make, planet):
    """A member who paid through checkout (the verified success applied): paid until D."""
    buyer = make.user()
    payment, _ = pay(planet, buyer)
    assert grant.sync_payment(payment) == "granted"
    db.session.commit()
    return buyer, payment, membership(planet, buyer).expires_at


def _shanghai(moment) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------- services


def test_rejoin_before_the_term_ends_is_free_and_after_it_pays(make, provider, paid_planet):
    buyer, _, paid_until = _paid_member(make, paid_planet)
    members.leave_planet(paid_planet, Who(buyer))
    left = membership(paid_planet, buyer)
    assert left.status is MembershipStatus.LEFT and left.expires_at == paid_until
    assert not left.is_entitled_at(utcnow())  # a left membership is not active
    assert not policy.may(Who(buyer), policy.Action.READ, paid_planet, now=utcnow())
    assert paid_term_left(left, utcnow()) == paid_until
    # The quote will not charge for time already paid.
    with pytest.raises(Conflict):
        checkout.start_checkout(paid_planet, Who(buyer))
    assert _payments(buyer) == 1

    members.join_free_planet(paid_planet, Who(buyer))
    back = membership(paid_planet, buyer)
    assert back.status is MembershipStatus.ACTIVE and back.expires_at == paid_until
    assert back.is_entitled_at(utcnow()) and not back.is_trial
    assert _payments(buyer) == 1

    # Leaving again and coming back after D: a join at the full price.
    members.leave_planet(paid_planet, Who(buyer))
    membership(paid_planet, buyer).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Conflict) as error:
        members.join_free_planet(paid_planet, Who(buyer))
    assert error.value.status == 402
    offer = checkout.quote(paid_planet, Who(buyer))
    assert (offer.term, offer.amount) == ("join", paid_planet.price_amount)
    payment, _ = pay(paid_planet, buyer)
    assert grant.sync_payment(payment) == "granted"
    again = membership(paid_planet, buyer)
    assert again.status is MembershipStatus.ACTIVE and again.expires_at > paid_until

    # A trial was not paid for, a removed member did not leave: nothing to give back.
    tried = make.user()
    make.member(paid_planet, tried, is_trial=True, expires_in=timedelta(days=5))
    members.leave_planet(paid_planet, Who(tried))
    with pytest.raises(Conflict):
        members.join_free_planet(paid_planet, Who(tried))
    removed = make.user()
    row = make.member(paid_planet, removed)
    members.remove_member(paid_planet, Who(paid_planet.owner), row)
    with pytest.raises(Conflict):
        members.join_free_planet(paid_planet, Who(removed))


def test_a_refund_after_leaving_takes_the_paid_term_back(make, provider, paid_planet):
    buyer, payment, _ = _paid_member(make, paid_planet)
    members.leave_planet(paid_planet, Who(buyer))
    refunds.refund_payment(payment, Who(buyer))
    assert payment.status is PaymentStatus.REFUNDED
    row = membership(paid_planet, buyer)
    assert row.status is MembershipStatus.REFUNDED and paid_term_left(row, utcnow()) is None
    with pytest.raises(Conflict):
        members.join_free_planet(paid_planet, Who(buyer))


# ---------------------------------------------------------------- through the pages


def test_leave_and_return_through_the_pages(make, provider, paid_planet, client, login_as):
    buyer, _, paid_until = _paid_member(make, paid_planet)
    slug = paid_planet.slug
    login_as(buyer)
    landing = client.get(f"/p/{slug}/about", headers=EN).get_data(as_text=True)
    assert f'href="/p/{slug}/leave"' in landing  # asks first, no POST form on the landing

    assert client.post(f"/p/{slug}/leave").status_code == 302
    assert membership(paid_planet, buyer).status is MembershipStatus.LEFT
    assert client.get(f"/p/{slug}/").status_code in (302, 403)
    landing = client.get(f"/p/{slug}/about", headers=EN).get_data(as_text=True)
    assert "Join again for free" in landing and _shanghai(paid_until) in landing
    page = client.get(f"/p/{slug}/checkout", headers=EN).get_data(as_text=True)
    assert f'href="/p/{slug}/join"' in page and "Continue to payment" not in page
    refused = client.post(
        f"/p/{slug}/checkout", data={"planet_id": paid_planet.id, "expected_amount": 10000}
    )
    assert refused.status_code == 409
    assert _payments(buyer) == 1

    rejoin = client.get(f"/p/{slug}/join", headers=EN).get_data(as_text=True)
    assert _shanghai(paid_until) in rejoin and "without paying" in rejoin
    assert client.post(f"/p/{slug}/join").status_code == 302
    back = membership(paid_planet, buyer)
    assert back.status is MembershipStatus.ACTIVE and back.expires_at == paid_until
    assert _payments(buyer) == 1
    assert client.get(f"/p/{slug}/").status_code == 200


def test_rejoin_after_the_term_goes_to_checkout(make, provider, paid_planet, client, login_as):
    buyer, _, _ = _paid_member(make, paid_planet)
    login_as(buyer)
    assert client.post(f"/p/{paid_planet.slug}/leave").status_code == 302
    row = membership(paid_planet, buyer)
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.post(f"/p/{paid_planet.slug}/join").status_code == 402
    assert client.get(f"/p/{paid_planet.slug}/join").status_code == 302  # to checkout
    page = client.get(f"/p/{paid_planet.slug}/checkout", headers=EN).get_data(as_text=True)
    assert "Continue to payment" in page and "Join again for free" not in page
    assert membership(paid_planet, buyer).status is MembershipStatus.LEFT


def test_the_leave_page_says_what_is_lost_and_offers_the_refund(
    make, provider, paid_planet, client, login_as
):
    buyer, payment, paid_until = _paid_member(make, paid_planet)
    login_as(buyer)
    url = f"/p/{paid_planet.slug}/leave"
    english = client.get(url, headers=EN)
    assert english.status_code == 200
    html = english.get_data(as_text=True)
    assert f"Your paid time runs until {_shanghai(paid_until)} (Asia/Shanghai)" in html
    assert "Leaving does not refund it." in html
    deadline = _shanghai(refunds.refund_deadline(payment))
    assert f"A full refund is possible until {deadline} (Asia/Shanghai)" in html
    assert f'action="/payments/{payment.id}/refund"' in html
    assert f'action="/p/{paid_planet.slug}/leave"' in html
    assert f'href="/p/{paid_planet.slug}/about"' in html  # cancel
    assert membership(paid_planet, buyer).status is MembershipStatus.ACTIVE  # GET changes nothing

    chinese = client.get(url, headers=ZH).get_data(as_text=True)
    assert f"你的付费时长到 {_shanghai(paid_until)} (Asia/Shanghai) 为止" in chinese
    assert "退出不会退还这段时长的费用" in chinese and "退出并退款" in chinese
    assert "取消，继续留在星球" in chinese

    # The browser's time zone (the tz cookie app.js sets) wins over the planet's.
    client.set_cookie("tz", "America/New_York")
    local = paid_until.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    html = client.get(url, headers=EN).get_data(as_text=True)
    assert f"{local} (America/New_York)" in html

    # The offered refund is the existing refund flow: it ends the membership for good.
    assert client.post(f"/payments/{payment.id}/refund").status_code == 302
    assert membership(paid_planet, buyer).status is MembershipStatus.REFUNDED
    assert client.post(f"/p/{paid_planet.slug}/join").status_code == 402


def test_the_refund_is_offered_inside_the_window_only(
    make, provider, paid_planet, client, login_as
):
    buyer, payment, _ = _paid_member(make, paid_planet)
    login_as(buyer)
    payment.paid_at = utcnow() - timedelta(hours=73)
    db.session.commit()
    html = client.get(f"/p/{paid_planet.slug}/leave", headers=EN).get_data(as_text=True)
    assert "/refund" not in html and "You can still get your money back" not in html
    assert "Leaving does not refund it." in html and "Leave this planet" in html


def test_only_members_see_the_leave_page(make, provider, paid_planet, client, login_as):
    login_as(make.user())
    assert client.get(f"/p/{paid_planet.slug}/leave").status_code == 403
    login_as(paid_planet.owner)
    assert client.get(f"/p/{paid_planet.slug}/leave").status_code == 400
    free = make.planet(price_amount=0)
    member = make.user()
    make.member(free, member, expires_in=None)
    login_as(member)
    page = client.get(f"/p/{free.slug}/leave", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "You lose access at once" in html and "paid time" not in html and "/refund" not in html
