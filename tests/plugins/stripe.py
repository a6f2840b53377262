"""Stripe test fixtures: a real localstripe process, a live app server it can call back, a
fake `stripe.HTTPClient` for what localstripe lacks, and webhook signing.

localstripe (GPL-3.0) runs as a separate process; it is never imported.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import stripe

REQUIRE_SERVICES = os.environ.get("PLANET_REQUIRE_SERVICES") == "1"
WEBHOOK_SECRET = "whsec_planet_test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return True
        except requests.RequestException:
            time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    """A localstripe server on a free port for the whole session."""
    executable = Path(sys.executable).with_name("localstripe")
    port = free_port()
    workdir = tmp_path_factory.mktemp("localstripe")
    argv = [str(executable), "--port", str(port), "--from-scratch"]
    log = open(workdir / "localstripe.log", "wb")  # noqa: SIM115
    try:
        process = subprocess.Popen(argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    except OSError as error:
        message = f"localstripe could not start: {error}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    url = f"http://127.0.0.1:{port}"
    if not _wait_for(url + "/js.stripe.com/v3/"):
        process.terminate()
        message = "localstripe did not answer on " + url
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def live_server(app):
    """Serve `app` over HTTP on a free port (threaded) so localstripe can deliver webhooks."""
    from werkzeug.serving import make_server

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def stripe_app_config(request):
    """Configuration pointing the app at the session's localstripe (for `app_config`)."""
    url = request.getfixturevalue("localstripe_url")
    return {
        "STRIPE_API_BASE": url,
        "STRIPE_JS_URL": url + "/js.stripe.com/v3/",
        "STRIPE_SECRET_KEY": "sk_test_planet",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_planet",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    }


@pytest.fixture
def register_webhook(localstripe_url):
    """Point localstripe's webhook at a URL (one registration id, overwritten per test)."""

    def register(url: str, events: list[str] | None = None) -> None:
        data = {"url": url, "secret": WEBHOOK_SECRET}
        hook = f"{localstripe_url}/_config/webhooks/planet-tests"
        response = requests.post(hook, data=data, timeout=10)
        response.raise_for_status()

    yield register
    # Park the hook on a closed port so later tests get no stray deliveries.
    requests.post(
        f"{localstripe_url}/_config/webhooks/planet-tests",
        data={"url": f"http://127.0.0.1:{free_port()}/", "secret": WEBHOOK_SECRET},
        timeout=10,
    )


@pytest.fixture
def card_token(localstripe_url):
    """Tokenize a test card the way the fake Stripe.js does (publishable key)."""

    def tokenize(number: str = "4242424242424242") -> str:
        response = requests.post(
            f"{localstripe_url}/v1/tokens",
            data={
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
                "key": "pk_test_planet",
            },
            timeout=10,
        )
        response.raise_for_status()
        return response.json()["id"]

    return tokenize


def sign_payload(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = stripe.WebhookSignature._compute_signature(f"{timestamp}.{payload}", secret)
    return f"t={timestamp},v1={signature}"


@pytest.fixture
def signed():
    return sign_payload


class FakeStripeHTTP(stripe.HTTPClient):
    """A fake transport for the official SDK: records every request and answers from
    `routes` ({(method, path): response dict or callable(params) -> dict})."""

    name = "fake"

    def __init__(self, routes: dict | None = None):
        super().__init__()
        self.routes = dict(routes or {})
        self.requests: list[dict] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(url)
        params = dict(parse_qsl(post_data or parts.query or ""))
        record = {
            "method": method.upper(),
            "path": parts.path,
            "params": params,
            "idempotency_key": (headers or {}).get("Idempotency-Key"),
            "authorization": (headers or {}).get("Authorization"),
        }
        self.requests.append(record)
        answer = self.routes.get((record["method"], parts.path))
        if answer is None:
            return (
                json.dumps({"error": {"message": "no route", "type": "invalid_request_error"}}),
                404,
                {},
            )
        body = answer(params) if callable(answer) else answer
        status = body.pop("_status", 200) if isinstance(body, dict) else 200
        return json.dumps(body), status, {}

    def close(self):
        pass


@pytest.fixture
def fake_stripe():
    return FakeStripeHTTP
