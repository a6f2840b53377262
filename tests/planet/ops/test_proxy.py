"""Behind the reverse proxy: the client's address and scheme come from its headers, and only
when a proxy is configured (otherwise anyone could spoof X-Forwarded-For past rate limits)."""

from __future__ import annotations

import pytest
from flask import request

from tests.conftest import make_test_app

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def _seen(app) -> str:
    app.add_url_rule("/_seen", "seen", lambda: f"{request.remote_addr} {request.scheme}")
    return app.test_client().get("/_seen", headers=FORWARDED).get_data(as_text=True)


@pytest.mark.parametrize(
    ("hops", "seen"), [(0, "127.0.0.1 http"), (1, "203.0.113.7 https")]
)  # fmt: skip
def test_the_proxy_headers_are_trusted_only_when_configured(tmp_path, hops, seen):
    app = make_test_app(
        "sqlite://", tmp_path, PROXY_FIX_X_FOR=hops, PROXY_FIX_X_PROTO=hops, PROXY_FIX_X_HOST=hops
    )
    assert _seen(app) == seen
