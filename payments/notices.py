"""Notifications about money: payment received, refund done, renewal failed.

Reads payments' models lazily (planet never imports payments at module level)."""

from __future__ import annotations

from planet import jobs
from planet.extensions import db
from planet.notifications import services
from planet.notifications.models import Kind
from planet.planets.models import Planet


def _payments_models():
    import importlib

    return importlib.import_module("payments.models")


@jobs.register_inline("payments.payment_succeeded")
def payment_succeeded(payment_id: int, **_ignored) -> None:
    models = _payments_models()
    payment = db.session.get(models.Payment, payment_id)
    if payment is None:
        return
    planet = db.session.get(Planet, payment.planet_id)
    services.notify(
        payment.user_id,
        Kind.PAYMENT_RECEIVED,
        f"paid:{payment.id}",
        planet=planet,
        data={
            "amount": services.format_amount(payment.amount, payment.currency),
            "link": f"/p/{planet.slug}",
        },
    )


@jobs.register_inline("payments.refund_completed")
def refund_completed(refund_id: int, **_ignored) -> None:
    models = _payments_models()
    refund = db.session.get(models.Refund, refund_id)
    if refund is None:
        return
    payment = db.session.get(models.Payment, refund.payment_id)
    planet = db.session.get(Planet, payment.planet_id)
    services.notify(
        payment.user_id,
        Kind.REFUND_DONE,
        f"refund:{refund.id}",
        planet=planet,
        data={
            "amount": services.format_amount(refund.amount, payment.currency),
            "link": f"/p/{planet.slug}",
        },
    )
