"""The payment receipt mail and the renewal reminders link the member's memberships page
(/me/memberships: receipts, renewal, auto-renewal, refunds, referral link) with an absolute
URL on BASE_URL, in text and in HTML, in the member's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from payments import grant, reminders
from planet import jobs
from planet.models import utcnow
from tests.payments.test_checkout import pay

BASE = "https://planet.example.org/community"
MEMBERSHIPS = f"{BASE}/me/memberships"


@pytest.fixture
def public_base(app):
    app.config["BASE_URL"] = BASE
    return BASE


def _one_mail(smtp_catcher, address):
    mails = smtp_catcher.to(address)
    assert len(mails) == 1, [m["Subject"] for m in mails]
    return mails[0]


def _links_memberships(smtp_catcher, mail) -> str:
    text, html = smtp_catcher.text(mail), smtp_catcher.html(mail)
    assert MEMBERSHIPS in text
    assert f'href="{MEMBERSHIPS}"' in html
    return text


def test_the_payment_receipt_mail_links_my_memberships(
    make, provider, paid_planet, smtp_catcher, public_base
):
    buyer = make.user(email="payer@example.com", locale="zh")
    payment, _ = pay(paid_planet, buyer)
    assert grant.sync_payment(payment) == "granted"
    jobs.commit()
    mail = _one_mail(smtp_catcher, "payer@example.com")
    text = _links_memberships(smtp_catcher, mail)
    assert f"我的星球会员（收据、续期和退款）：{MEMBERSHIPS}" in text


def test_the_renewal_reminders_link_my_memberships(make, smtp_catcher, public_base):
    planet = make.planet(price_amount=9900)
    make.member(
        planet, make.user(email="week@example.com", locale="en"), expires_in=timedelta(days=6)
    )
    make.member(
        planet, make.user(email="soon@example.com", locale="zh"), expires_in=timedelta(hours=20)
    )
    reminders.sweep_reminders(utcnow())
    week = _one_mail(smtp_catcher, "week@example.com")
    text = _links_memberships(smtp_catcher, week)
    assert f"My memberships (receipts, renewal and refunds): {MEMBERSHIPS}" in text
    assert "/checkout?renew=1" in text  # the renewal link itself stays
    soon = _one_mail(smtp_catcher, "soon@example.com")
    assert "我的星球会员" in _links_memberships(smtp_catcher, soon)
