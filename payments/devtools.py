"""Development helper: keep localstripe's webhook pointed at the app.

`python -m payments.devtools keep-webhook` waits for localstripe (STRIPE_API_BASE), registers
BASE_URL/webhooks/stripe with STRIPE_WEBHOOK_SECRET, and re-registers every 30 s (localstripe
keeps webhooks in memory, so a restart forgets them). localstripe itself is a separate GPL-3.0
process started by scripts/dev.py; nothing here imports it.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.parse
import urllib.request


def register(api_base: str, app_url: str, secret: str) -> bool:
    data = urllib.parse.urlencode(
        {"url": app_url.rstrip("/") + "/webhooks/stripe", "secret": secret}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - a local development URL
        api_base.rstrip("/") + "/_config/webhooks/planet", data=data, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - local dev URL
            return 200 <= response.status < 300
    except OSError:
        return False


def keep_webhook() -> None:
    api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8420")
    app_url = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_planet_dev")
    announced = False
    while True:
        if register(api_base, app_url, secret) and not announced:
            print(f"[payments] localstripe at {api_base} sends webhooks to {app_url}", flush=True)
            announced = True
        time.sleep(30 if announced else 1)


if __name__ == "__main__":
    if sys.argv[1:] != ["keep-webhook"]:
        sys.exit("usage: python -m payments.devtools keep-webhook")
    keep_webhook()
