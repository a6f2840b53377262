"""Segments and campaigns (payments/campaigns.py): who is in each segment (a member in the
grace period is still active, so not lapsed), the CSV escapes formulas, a campaign reaches each
recipient once however often its job runs, bad input is refused with nothing written, and the
funnel counts sent, opened and renewed."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from payments import campaigns
from payments.campaign_models import Campaign, CampaignRecipient, CampaignSegment
from payments.models import Coupon, Payment, PaymentKind, PaymentStatus
from planet.engagement.insights.activity import record_activity
from planet.engagement.insights.models import ActivityKind
from planet.extensions import db
from planet.models import utcnow
from planet.notifications.models import Kind, Notification
from planet.planets.models import MembershipStatus
from tests.conftest import login


def _paid(planet, user, **fields):
    now = utcnow()
    payment = Payment(
        planet_id=planet.id, user_id=user.id, kind=PaymentKind.JOIN,
        status=PaymentStatus.SUCCEEDED, amount=9900, list_price=9900,
        currency=planet.currency, provider_intent_id=f"pi_c_{user.id}_{now.timestamp()}",
        paid_at=fields.pop("paid_at", now), attempts=1, refunded_amount=0, created_at=now,
        **fields,
    )  # fmt: skip
    db.session.add(payment)
    db.session.commit()
    return payment


@pytest.fixture
def world(make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, price_amount=9900)
    people = {
        key: make.user(name=name)
        for key, name in (
            ("soon", "Soon"), ("lapsed", "Lapsed"), ("grace", "Grace"), ("old", "Old"),
            ("poster", "=cmd|' /C calc'!A0"), ("referred", "Referred"), ("couponed", "Couponed"),
        )
    }  # fmt: skip
    make.member(planet, people["soon"], expires_in=timedelta(days=10))
    make.member(
        planet, people["lapsed"], status=MembershipStatus.EXPIRED, expires_in=timedelta(days=-5)
    )
    make.member(
        planet, people["grace"], expires_in=timedelta(days=-2),
        grace_until=utcnow() + timedelta(days=5),
    )  # fmt: skip
    make.member(
        planet, people["old"], status=MembershipStatus.EXPIRED, expires_in=timedelta(days=-200)
    )
    for key in ("poster", "referred", "couponed"):
        make.member(planet, people[key])
    topic = make.topic(planet, people["poster"], "I post")
    record_activity(planet.id, people["poster"].id, ActivityKind.TOPIC, topic.id)
    _paid(planet, people["referred"], referrer_id=owner.id)
    coupon = Coupon(planet_id=planet.id, code="HELLO", kind="percent", value=10, used_count=1)
    db.session.add(coupon)
    db.session.flush()
    _paid(planet, people["couponed"], coupon_id=coupon.id)
    db.session.commit()
    return planet, owner, people


def _names(planet, segment, days=30):
    rows, _ = campaigns.segment_page(planet, segment, days, utcnow())
    return {user.display_name for _m, user in rows}


def test_each_segment_holds_whom_it_says(world):
    planet, _owner, _people = world
    assert _names(planet, CampaignSegment.EXPIRING) == {"Soon"}
    assert _names(planet, CampaignSegment.LAPSED) == {"Lapsed"}  # not in grace, not 200 days ago
    assert _names(planet, CampaignSegment.LAPSED, 365) == {"Lapsed", "Old"}
    never = _names(planet, CampaignSegment.NEVER_POSTED)
    assert "Grace" in never and "=cmd|' /C calc'!A0" not in never and "Lapsed" not in never
    assert _names(planet, CampaignSegment.MOST_ACTIVE) == {"=cmd|' /C calc'!A0"}
    assert _names(planet, CampaignSegment.REFERRAL, 0) == {"Referred"}
    assert _names(planet, CampaignSegment.COUPON, 0) == {"Couponed"}


def test_the_csv_escapes_formulas(client, world):
    planet, owner, _people = world
    login(client, owner)
    response = client.get(f"/p/{planet.slug}/segments.csv?segment=most_active&days=30")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][1] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "query", ["segment=nope", "segment=expiring&days=0", "segment=lapsed&days=999", "days=x"]
)
def test_a_bad_segment_is_a_400(client, world, query):
    planet, owner, _people = world
    login(client, owner)
    assert client.get(f"/p/{planet.slug}/segments?{query}").status_code == 400


def _send(client, planet, segment="lapsed", days="30", **data):
    form = {"subject": "Come back", "body": "We miss you.", "percent": "20", **data}
    return client.post(f"/p/{planet.slug}/campaigns?segment={segment}&days={days}", data=form)


def test_a_campaign_reaches_each_recipient_once(client, world):
    planet, owner, people = world
    login(client, owner)
    assert _send(client, planet).status_code == 302  # the job ran eagerly after the commit
    campaign = db.session.scalar(select(Campaign))
    assert campaign.recipients == 1 and campaign.coupon_id is not None
    assert campaigns.send_campaign(campaign.id) == 0  # a re-run: nobody left to send
    db.session.execute(CampaignRecipient.__table__.update().values(sent_at=None))
    db.session.commit()
    campaigns.send_campaign(campaign.id)  # even forgetting sent_at, the dedupe key holds
    told = db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.kind == Kind.CAMPAIGN, Notification.user_id == people["lapsed"].id
        )
    )
    assert told == 1
    # A double submit is not a second campaign.
    assert _send(client, planet).status_code == 409
    assert db.session.scalar(select(func.count(Campaign.id))) == 1


def test_an_empty_segment_or_bad_message_writes_nothing(client, world):
    planet, owner, _people = world
    login(client, owner)
    assert _send(client, planet, segment="expiring", days="1").status_code == 409
    assert _send(client, planet, subject="").status_code == 400
    assert _send(client, planet, body="x" * 5000).status_code == 400
    assert _send(client, planet, percent="15").status_code == 400
    assert _send(client, planet, segment="never_posted", days="0").status_code == 400  # coupon
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    assert db.session.scalar(select(func.count(Coupon.id))) == 1  # the fixture's own


def test_the_funnel_counts_sent_opened_renewed(client, world):
    planet, owner, people = world
    login(client, owner)
    _send(client, planet)
    campaign = db.session.scalar(select(Campaign))
    recipient = db.session.scalar(select(CampaignRecipient))
    client.get("/accounts/logout")
    for _ in range(2):
        response = client.get(f"/c/{recipient.token}")
        assert response.status_code == 302
        assert (
            "coupon=" in response.headers["Location"] and "renew=1" in response.headers["Location"]
        )
    assert client.get("/c/not-a-token").status_code == 404
    _paid(planet, people["lapsed"], paid_at=utcnow() + timedelta(seconds=1))
    funnel = campaigns.funnel(db.session.get(Campaign, campaign.id))
    assert (funnel.sent, funnel.opened, funnel.renewed) == (1, 1, 1)
    login(client, owner)
    page = client.get(f"/p/{planet.slug}/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-funnel="renewed">1<' in page
