"""The win-back page (payments/win_back.py): who is on it, what it shows of each member, its
one-click actions (a reminder once per period, a one-use coupon by private message) and its
count on the owner's Manage menu."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments.models import AutoRenewal, Coupon, CouponKind
from planet.content.models import TopicKind
from planet.engagement.insights.landing_views import count_topic_read, flush_landing_views
from planet.extensions import db
from planet.messages.models import Message
from planet.models import utcnow
from planet.notifications.models import Kind, Notification
from planet.planets.models import Membership, MembershipStatus
from tests.conftest import login, queries_by_page_size


@pytest.fixture
def world(make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, price_amount=9900)
    soon = make.user(name="Soon Sue")
    later = make.user(name="Later Lee")
    gone = make.user(name="Gone Gus")
    renews = make.user(name="Auto Ann")
    m_soon = make.member(planet, soon, expires_in=timedelta(days=5))
    make.member(planet, later, expires_in=timedelta(days=45))
    make.member(planet, gone, status=MembershipStatus.EXPIRED, expires_in=timedelta(days=-3))
    m_renews = make.member(planet, renews, expires_in=timedelta(days=20))
    db.session.add(AutoRenewal(membership_id=m_renews.id, enabled=True, payment_method_id="pm_1"))
    read = make.topic(planet, owner, "A lesson worth reading", title="Lesson one")
    make.question(planet, soon, owner, "How do I price my first course?")
    count_topic_read(planet, read.id, soon.id)
    flush_landing_views()
    db.session.commit()
    return planet, owner, soon, m_soon, renews


def test_the_page_lists_who_ends_within_30_days_with_what_they_did(client, world):
    planet, owner, soon, _m, renews = world
    login(client, owner)
    page = client.get(f"/p/{planet.slug}/win-back")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Soon Sue" in body and "Auto Ann" in body
    assert "Later Lee" not in body and "Gone Gus" not in body
    rows = re.findall(r'<tr data-member="(\d+)">(.*?)</tr>', body, re.S)
    by_id = {int(i): html for i, html in rows}
    assert list(by_id) == [soon.id, renews.id]  # soonest first
    assert "Lesson one" in by_id[soon.id]
    assert "How do I price" in by_id[soon.id]
    assert 'data-on="1"' in by_id[renews.id] and 'data-on="0"' in by_id[soon.id]


def test_the_count_is_on_the_owners_manage_menu(client, world):
    planet, owner, *_ = world
    login(client, owner)
    body = client.get(f"/p/{planet.slug}/income").get_data(as_text=True)
    link = re.search(r'<a href="/p/[^"]+/win-back"[^>]*>(.*?)</a>', body, re.S)
    assert link is not None
    assert '<span class="badge waiting"' in link.group(1) and ">2<" in link.group(1)


def test_a_reminder_is_sent_once_per_period(client, world):
    planet, owner, soon, membership, _ = world
    login(client, owner)
    url = f"/p/{planet.slug}/win-back/{membership.id}/remind"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 409
    told = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == soon.id, Notification.kind == Kind.RENEWAL_REMINDER
        )
    )
    assert told == 1


def test_a_coupon_goes_to_the_member_by_private_message(client, world):
    planet, owner, soon, membership, _ = world
    login(client, owner)
    url = f"/p/{planet.slug}/win-back/{membership.id}/coupon"
    assert client.post(url, data={"percent": "20"}).status_code == 302
    coupon = db.session.scalar(select(Coupon).where(Coupon.planet_id == planet.id))
    assert (coupon.kind, coupon.value, coupon.max_uses) == (CouponKind.PERCENT, 20, 1)
    assert coupon.expires_at > membership.expires_at
    message = db.session.scalar(select(Message).where(Message.recipient_id == soon.id))
    assert coupon.code in message.body and f"coupon={coupon.code}" in message.body


@pytest.mark.parametrize("percent", ["0", "15", "100", "-5", "x", "9" * 40])
def test_an_odd_discount_is_refused_and_nothing_is_written(client, world, percent):
    planet, owner, _soon, membership, _ = world
    login(client, owner)
    url = f"/p/{planet.slug}/win-back/{membership.id}/coupon"
    assert client.post(url, data={"percent": percent}).status_code == 400
    assert db.session.scalar(select(func.count(Coupon.id))) == 0
    assert db.session.scalar(select(func.count(Message.id))) == 0


def test_a_member_not_ending_soon_cannot_be_acted_on(client, world):
    planet, owner, *_ = world
    far = db.session.scalar(
        select(Membership).where(
            Membership.planet_id == planet.id, Membership.expires_at > utcnow() + timedelta(days=40)
        )
    )
    login(client, owner)
    assert client.post(f"/p/{planet.slug}/win-back/{far.id}/remind").status_code == 404
    assert client.post(f"/p/{planet.slug}/win-back/999999/remind").status_code == 404
    assert client.post(f"/p/{planet.slug}/win-back/{far.id}/nonsense").status_code in (404, 405)


def test_a_page_costs_the_same_whatever_its_size(app, client, make, world):
    planet, owner, *_ = world
    for n in range(12):
        person = make.user()
        make.member(planet, person, expires_in=timedelta(days=3 + n))
        make.topic(planet, person, f"question {n}", kind=TopicKind.QUESTION)
    login(client, owner)
    import payments.win_back as win_back

    counts = {}
    for size in (2, 10):
        win_back.PAGE_SIZE = size
        try:
            counts[size] = queries_by_page_size(app, client, f"/p/{planet.slug}/win-back", (5,))[5]
        finally:
            win_back.PAGE_SIZE = 50
    assert counts[2] == counts[10], counts


def test_only_the_owner_acts(client, make, world):
    planet, _owner, _soon, membership, _ = world
    admin = make.user()
    from planet.planets.models import Role

    make.member(planet, admin, role=Role.ADMIN)
    login(client, admin)
    assert client.get(f"/p/{planet.slug}/win-back").status_code == 403
    url = f"/p/{planet.slug}/win-back/{membership.id}/coupon"
    assert client.post(url, data={"percent": "20"}).status_code == 403
    assert db.session.scalar(select(func.count(Coupon.id))) == 0
