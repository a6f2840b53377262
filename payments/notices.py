"""Notifications about money: payment received, refund done, a dispute, renewal failed, a
gift's code for its recipient.

Handlers of jobs that payments defers; they live here because they read payment data
(planet's core never imports payments).
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from payments.dunning import latest_attempt_number
from payments.models import Dispute, GiftCode, Payment, Refund
from planet import jobs
from planet.accounts.models import User
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.notifications import outbox, services
from planet.notifications.models import Kind
from planet.planets.models import Membership, Planet
from planet.web.links import external_url


def _money_notice(payment: Payment, kind: Kind, dedupe_key: str, amount: int) -> None:
    """Tell the payer about money moved on `payment`, linking to the planet's timeline (or to
    the question a paid question or peek was for) and to their memberships (receipts,
    renewal, refunds)."""
    planet = db.session.get(Planet, payment.planet_id)
    link = external_url("content.timeline", slug=planet.slug)
    if payment.topic_id is not None:
        link = external_url("content.topic", slug=planet.slug, topic_id=payment.topic_id)
    services.notify(
        payment.user_id,
        kind,
        dedupe_key,
        planet=planet,
        data={
            "amount": services.format_amount(amount, payment.currency),
            "link": link,
            "memberships_link": external_url("payments.my_memberships"),
        },
    )


@jobs.handler("payments.payment_succeeded")
def payment_succeeded(payment_id: int, **_ignored) -> None:
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        return
    _money_notice(payment, Kind.PAYMENT_RECEIVED, f"paid:{payment.id}", payment.amount)


@jobs.handler("payments.refund_completed")
def refund_completed(refund_id: int, **_ignored) -> None:
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        return
    payment = db.session.get(Payment, refund.payment_id)
    _money_notice(payment, Kind.REFUND_DONE, f"refund:{refund.id}", refund.amount)


@jobs.handler("payments.dispute_opened")
def dispute_opened(dispute_id: int, **_ignored) -> None:
    """Tell the owner: the disputed money is held from their balance until the bank decides."""
    dispute = db.session.get(Dispute, dispute_id)
    if dispute is None:
        return
    payment = db.session.get(Payment, dispute.payment_id)
    planet = db.session.get(Planet, payment.planet_id)
    services.notify(
        planet.owner_id,
        Kind.PAYMENT_DISPUTED,
        f"dispute:{dispute.id}",
        planet=planet,
        data={
            "amount": services.format_amount(dispute.amount, payment.currency),
            "link": external_url("payments.income", slug=planet.slug),
        },
    )


@jobs.handler("payments.renewal_failed")
def renewal_failed(membership_id: int, **_ignored) -> None:
    """Deferred on each failed off-session charge. The dunning sweep tells the member with the
    same dedupe key (membership, period, attempt), so they hear it once."""
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        return
    planet = db.session.get(Planet, membership.planet_id)
    attempt = latest_attempt_number(membership.id)
    period = membership.expires_at.isoformat() if membership.expires_at else "none"
    services.notify(
        membership.user_id,
        Kind.RENEWAL_FAILED,
        f"renewal_failed:{membership.id}:{period}:{'x' if attempt is None else attempt}",
        planet=planet,
        data={
            "link": external_url("payments.checkout", slug=planet.slug, renew=1),
            "memberships_link": external_url("payments.my_memberships"),
        },
    )


@jobs.handler("payments.gift_mail")
def gift_mail(gift_id: int, **_ignored) -> None:
    """Mail a paid gift's code to the recipient the buyer named, once (keyed by the gift), in
    the recipient's language if they have an account, else the buyer's."""
    gift = db.session.get(GiftCode, gift_id)
    if gift is None or not gift.recipient_email or gift.paid_at is None:
        return
    planet = db.session.get(Planet, gift.planet_id)
    buyer = db.session.get(User, gift.buyer_id)
    reader = db.session.scalar(select(User).where(User.email == gift.recipient_email))
    with in_recipient_language(reader, buyer.locale):
        subject = _("%(name)s gives you a year of %(planet)s", name=buyer.display_name,
                    planet=planet.name)  # fmt: skip
        context = {
            "subject": subject,
            "greeting": _("Hello,"),
            "intro": _(
                "%(name)s bought you a year of membership of %(planet)s. Your gift code is "
                "%(code)s: open the link below and enter it, with your Planet account or a "
                "new one.",
                name=buyer.display_name,
                planet=planet.name,
                code=gift.code,
            ),
            "button": _("Redeem my gift"),
            "link": external_url("payments.redeem_gift", code=gift.code),
            "expiry": _("The code works once."),
            "ignore": _("If you do not know this person, you can ignore this mail."),
            "signature": _("— The Planet team"),
        }
        outbox.queue_email(
            gift.recipient_email,
            f"gift:{gift.id}",
            subject,
            render_template("email/accounts/action.txt", **context),
            render_template("email/accounts/action.html", **context),
        )
