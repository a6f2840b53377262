"""The Stripe webhook: the only CSRF-exempt route."""

from __future__ import annotations

import logging

from flask import (
    current_app,
    jsonify,
    request,
)

from payments import webhooks
from payments.gateway import SignatureError, get_gateway
from payments.views import bp
from planet import jobs
from planet.extensions import csrf

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- the webhook


@bp.route("/webhooks/stripe", methods=["POST"])
@csrf.exempt
def webhook():
    payload = request.get_data(cache=False)
    try:
        event = get_gateway().construct_event(
            payload,
            request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"],
        )
    except SignatureError as error:
        log.info("webhook refused: %s", error)
        return jsonify(error=400, reason="invalid signature"), 400
    if not event.get("id") or not event.get("type"):
        return jsonify(error=400, reason="not an event"), 400
    if event.get("livemode") and not current_app.config.get("STRIPE_LIVEMODE", False):
        log.warning("webhook: live-mode event %s refused in test mode", event.get("id"))
        return jsonify(error=400, reason="wrong mode"), 400
    row, new = webhooks.store_event(event)
    if new or (row is not None and row.processed_at is None):
        jobs.defer("payments.process_event", event_id=row.event_id)
    return jsonify(received=True, duplicate=not new), 200
