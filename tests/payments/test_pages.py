"""The money screens over HTTP: who may see what, and that they render."""

from __future__ import annotations

from payments import services
from tests.payments.test_checkout import Who, pay


def test_pages_render_for_the_right_people(make, provider, client, login_as, paid_planet):
    buyer = make.user()
    payment, _ = pay(paid_planet, buyer)
    services.sync_payment(payment)
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
    services.sync_payment(payment)
    admin = make.user(is_platform_admin=True)
    login_as(admin)
    page = client.get("/admin/payments")
    assert page.status_code == 200 and b"5.00" in page.data
    assert Who(admin)
