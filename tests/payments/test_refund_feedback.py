"""An owner refunding a member from the income page: the button asks first, and the income page
after the redirect says how much went back to whom (zh and en)."""

from __future__ import annotations

import pytest

from payments import grant
from planet.extensions import db
from tests.payments.test_checkout import pay
from tests.planet.engagement.test_feedback import confirm_of


@pytest.mark.parametrize(
    "lang,asked,said",
    [
        ("en", "Refund Bea? ", "¥100.00 refunded to Bea."),
        ("zh", "确定给 Bea 退款吗？", "已向 Bea 退款 ¥100.00"),
    ],
)
def test_the_owner_refund_asks_first_then_says_what_went_back(
    make, provider, client, login_as, paid_planet, lang, asked, said
):
    buyer = make.user(name="Bea")
    payment, _ = pay(paid_planet, buyer)
    grant.sync_payment(payment)
    db.session.commit()
    login_as(paid_planet.owner)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    income = f"/p/{paid_planet.slug}/income"
    question = confirm_of(
        client.get(income).get_data(as_text=True), f"/payments/{payment.id}/refund"
    )
    assert question and question.startswith(asked)
    response = client.post(f"/payments/{payment.id}/refund", data={"amount": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith(income)
    assert said in client.get(income).get_data(as_text=True)
