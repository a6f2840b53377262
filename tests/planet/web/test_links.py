"""Links that leave the site (mails, notifications) are absolute on BASE_URL, from anywhere."""

from __future__ import annotations

import pytest

from planet.web.links import external_url


@pytest.fixture
def app_config():
    return {"BASE_URL": "https://planet.example.com/community"}


def test_external_url_without_a_request_as_in_a_worker(app):
    assert (
        external_url("content.topic", slug="alpha", topic_id=7, _anchor="c9")
        == "https://planet.example.com/community/p/alpha/t/7#c9"
    )
    assert (
        external_url("payments.checkout", slug="alpha", renew=1)
        == "https://planet.example.com/community/p/alpha/checkout?renew=1"
    )


def test_external_url_in_a_request_on_another_host_still_uses_base_url(app):
    with app.test_request_context("/", base_url="http://10.0.0.5:8000"):
        assert (
            external_url("notifications.index")
            == "https://planet.example.com/community/me/notifications"
        )
