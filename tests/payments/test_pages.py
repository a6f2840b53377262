"""The money screens over HTTP: who may see what, and that they render."""

from __future__ import annotations

import re

import pytest

from payments import checkout, grant, refunds
from payments.models import Payment
from planet import jobs
from tests.payments.test_checkout import Who, pay


def test_pages_render_for_the_right_people(make, provider, client, login_as, paid_planet):
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer)
    grant.sync_payment(payment)
    from planet.extensions import db

    db.session.commit()
    assert client.get(f"/p/{paid_planet.slug}/checkout").status_code == 200
    login_as(buyer)
    page = client.get("/me/memberships")
    assert page.status_code == 200 and paid_planet.name.encode() in page.data
    assert b"Refund" in page.data or "退款".encode() in page.data
    assert page.headers["Cache-Control"] == "private, no-store"
    assert client.get(f"/payments/{payment.id}/receipt").status_code == 200
    assert client.get(f"/payments/{payment.id}").status_code == 200
    assert client.get(f"/p/{paid_planet.slug}/income").status_code == 403
    assert client.get("/admin/payments").status_code == 403
    assert client.get(f"/p/{paid_planet.slug}/money").status_code == 403
    stranger = make.user()
    login_as(stranger)
    assert client.get(f"/payments/{payment.id}/receipt").status_code == 404
    assert client.post(f"/payments/{payment.id}/refund").status_code == 404
    login_as(paid_planet.owner)
    income = client.get(f"/p/{paid_planet.slug}/income")
    assert income.status_code == 200 and b"95.00" in income.data
    csv = client.get(f"/p/{paid_planet.slug}/income?format=csv")
    assert csv.mimetype == "text/csv" and b"owner" in csv.data
    assert client.get(f"/p/{paid_planet.slug}/money").status_code == 200
    response = client.post(
        f"/p/{paid_planet.slug}/money",
        data={
            "form": "coupon",
            "coupon-code": "SPRING",
            "coupon-kind": "percent",
            "coupon-value": "20",
        },
    )
    assert response.status_code == 302
    assert client.get("/me/earnings").status_code == 200


def test_tampered_checkout_is_refused(make, provider, client, login_as, paid_planet):
    other = make.planet(price_amount=100)
    login_as(make.user())
    url = f"/p/{paid_planet.slug}/checkout"
    assert (
        client.post(url, data={"planet_id": other.id, "expected_amount": 10000}).status_code == 400
    )
    assert (
        client.post(url, data={"planet_id": paid_planet.id, "expected_amount": 1}).status_code
        == 409
    )
    assert client.post(url, data={"planet_id": "x", "expected_amount": 1}).status_code == 400


def test_platform_admin_sees_all_payments(make, provider, client, login_as, paid_planet):
    payment, _ = pay(paid_planet, make.user())
    grant.sync_payment(payment)
    admin = make.user(is_platform_admin=True)
    login_as(admin)
    page = client.get("/admin/payments")
    assert page.status_code == 200 and b"5.00" in page.data
    assert Who(admin)


# ---------------------------------------------------------------- translated declines and statuses

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _decline_with(provider, code, decline_code=None):
    """Make the fake provider refuse every new PaymentIntent with this Stripe card error."""
    error = {"type": "card_error", "code": code, "message": "Your card was declined."}
    if decline_code:
        error["decline_code"] = decline_code
    provider.routes[("POST", "/v1/payment_intents")] = lambda params: {
        "_status": 402,
        "error": dict(error),
    }


def _start(client, planet):
    response = client.post(
        f"/p/{planet.slug}/checkout",
        data={"planet_id": planet.id, "expected_amount": 10000},
        headers=ZH,
    )
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").split("/")[-2])


def test_declined_card_is_explained_in_chinese(make, provider, client, login_as, paid_planet):
    from payments.models import Payment, PaymentStatus
    from planet.extensions import db
    from tests.payments.conftest import DECLINED

    login_as(make.user())
    payment_id = _start(client, paid_planet)
    response = client.post(
        f"/payments/{payment_id}/confirm",
        json={"token": DECLINED},
        headers={**ZH, "Accept": "application/json"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "failed"
    assert body["message"] == "你的银行卡被拒绝，请换一张卡或联系发卡银行。"
    assert "Your card was declined" not in response.get_data(as_text=True)
    # The provider's own English text is kept for the logs and support, with its code.
    db.session.expire_all()
    payment = db.session.get(Payment, payment_id)
    assert payment.status is PaymentStatus.FAILED
    assert payment.failure_message == "card_declined: Your card was declined."
    # The pages that show the failure translate it too, never the provider's text.
    for url in (f"/payments/{payment_id}", f"/payments/{payment_id}/pay"):
        page = client.get(url, headers=ZH).get_data(as_text=True)
        assert "你的银行卡被拒绝" in page and "Your card was declined" not in page
    english = client.post(
        f"/payments/{payment_id}/confirm",
        json={"token": DECLINED},
        headers={"Accept-Language": "en", "Accept": "application/json"},
    ).get_json()
    assert english["message"] == "Your card was declined. Try another card or ask your bank."


@pytest.mark.parametrize(
    ("code", "decline_code", "chinese"),
    [
        ("card_declined", "insufficient_funds", "你的银行卡余额不足。"),
        ("expired_card", None, "你的银行卡已过期，请换一张卡。"),
        ("incorrect_cvc", None, "银行卡安全码（CVC）不正确。"),
        ("processing_error", None, "支付服务商暂时无法处理你的银行卡，未产生任何扣款；请重试。"),
        ("authentication_required", None, "你的银行要求验证这笔支付，请重试并完成验证。"),
        ("card_declined", "stolen_card", "你的银行卡被拒绝，请换一张卡或联系发卡银行。"),
        ("incorrect_number", None, "支付未成功，未产生任何扣款；请换一张卡再试。"),
    ],
)
def test_each_decline_code_has_its_reason(
    make, provider, client, login_as, paid_planet, code, decline_code, chinese
):
    _decline_with(provider, code, decline_code)
    login_as(make.user())
    payment_id = _start(client, paid_planet)
    body = client.post(
        f"/payments/{payment_id}/confirm", json={"token": "tok_ok"}, headers=ZH
    ).get_json()
    assert body["status"] == "failed" and body["message"] == chinese
    page = client.get(f"/payments/{payment_id}/pay", headers=ZH).get_data(as_text=True)
    assert chinese in page


def _cell(text: str, page: str) -> bool:
    """A table cell holding exactly `text` (cells carry a data-label for the phone layout)."""
    return re.search(rf"<td[^>]*>{re.escape(text)}</td>", page) is not None


def test_statuses_are_translated_on_money_pages(make, provider, client, login_as, paid_planet):
    from planet.extensions import db

    buyer = make.user()
    paid, _ = pay(paid_planet, buyer)
    grant.sync_payment(paid)
    refunded, _ = pay(make.planet(price_amount=500, owner=paid_planet.owner), buyer)
    grant.sync_payment(refunded)
    refunds.refund_payment(refunded, Who(buyer), refunded.amount)
    db.session.commit()

    login_as(buyer)
    mine = client.get("/me/memberships", headers=ZH).get_data(as_text=True)
    assert _cell("已支付", mine) and _cell("已退款", mine)
    assert not _cell("succeeded", mine) and not _cell("refunded", mine)
    receipt = client.get(f"/payments/{refunded.id}/receipt", headers=ZH).get_data(as_text=True)
    assert "<dd>已退款</dd>" in receipt and "· 已退款</dd>" in receipt
    login_as(paid_planet.owner)
    income = client.get(f"/p/{paid_planet.slug}/income", headers=ZH).get_data(as_text=True)
    assert _cell("已支付", income) and not _cell("succeeded", income)
    english = client.get(f"/p/{paid_planet.slug}/income", headers={"Accept-Language": "en"})
    assert _cell("Paid", english.get_data(as_text=True))


def test_every_status_has_a_label():
    from payments.models import PaymentStatus, PayoutStatus, RefundStatus
    from payments.views import STATUS_LABELS

    for enum in (PaymentStatus, RefundStatus, PayoutStatus):
        assert set(STATUS_LABELS[enum]) == set(enum)


# ---------------------------------------------------------------- join funnel attribution


def _funnel_of(planet):
    from planet.engagement.insights import health
    from planet.models import utcnow

    return {
        (source.value, stage.value): count
        for source, stages in health.funnel(planet, utcnow()).items()
        for stage, count in stages.items()
        if count
    }


def _pay_and_read_funnel(client, buyer, planet):
    """Check out through the page, pay, let the webhook's sync grant access, run the jobs."""
    from planet.extensions import db

    payment = db.session.get(Payment, _start(client, planet))
    checkout.confirm_payment(payment, Who(buyer), "tok_ok")
    assert grant.sync_payment(payment) == "granted"
    jobs.commit()  # the paid job runs after the commit
    return _funnel_of(planet)


def test_a_visitor_from_the_discover_page_is_counted_as_discover_through_payment(
    make, provider, client, login_as, paid_planet
):
    buyer = make.user()
    login_as(buyer)
    landing = client.get(
        f"/p/{paid_planet.slug}/about", headers={"Referer": "http://localhost/discover?q=ai"}
    )
    assert landing.status_code == 200
    client.get(f"/p/{paid_planet.slug}/about")  # a later direct visit keeps the source
    funnel = _pay_and_read_funnel(client, buyer, paid_planet)
    assert funnel.get(("discover", "checkout")) == 1
    assert funnel.get(("discover", "paid")) == 1
    assert ("direct", "checkout") not in funnel and ("direct", "paid") not in funnel


def test_a_visitor_who_came_directly_is_counted_as_direct(
    make, provider, client, login_as, paid_planet
):
    buyer = make.user()
    login_as(buyer)
    client.get(f"/p/{paid_planet.slug}/about")
    funnel = _pay_and_read_funnel(client, buyer, paid_planet)
    assert funnel.get(("direct", "checkout")) == 1 and funnel.get(("direct", "paid")) == 1
    assert not any(source == "discover" for source, _ in funnel)


def test_my_memberships_asks_before_a_refund_and_links_the_planet(
    make, provider, client, login_as, paid_planet
):
    """A one-click refund ends the membership at once: its button asks first (data-confirm, like
    removing a member); the planet's name leads to the planet, not back to its checkout."""
    import re

    from planet.extensions import db

    buyer = make.user()
    payment, _ = pay(paid_planet, buyer)
    grant.sync_payment(payment)
    db.session.commit()
    login_as(buyer)
    page = client.get("/me/memberships", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    form = re.search(
        rf'<form[^>]*action="/payments/{payment.id}/refund".*?<button[^>]*>', page, re.DOTALL
    )
    assert form, page
    button = form.group(0).rsplit("<button", 1)[1]
    assert "data-confirm=" in button and "你将立即失去访问权限" in button
    assert f'<a href="/p/{paid_planet.slug}/about">{paid_planet.name}</a>' in page
    checkout = client.get(f"/p/{paid_planet.slug}/checkout").get_data(as_text=True)
    assert '<input type="text" name="coupon"' in checkout


def test_my_memberships_offers_renewal_to_whom_the_policy_allows(
    make, provider, client, login_as, paid_planet
):
    from datetime import timedelta

    from planet.extensions import db
    from planet.planets.models import MembershipStatus

    renew_link = f'href="/p/{paid_planet.slug}/checkout">'.encode()
    member, lapsed, banned = make.user(), make.user(), make.user()
    make.member(paid_planet, member, expires_in=timedelta(days=30))
    make.member(
        paid_planet, lapsed, expires_in=timedelta(days=-30)
    ).status = MembershipStatus.EXPIRED
    make.member(paid_planet, banned, expires_in=timedelta(days=30)).status = MembershipStatus.BANNED
    db.session.commit()
    for who, offered in ((member, True), (lapsed, True), (banned, False)):
        login_as(who)
        assert (renew_link in client.get("/me/memberships").data) is offered, who
    login_as(paid_planet.owner)  # the owner does not pay for their own planet
    assert renew_link not in client.get("/me/memberships").data
