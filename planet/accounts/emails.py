"""Account mails: plain job handlers that build one mail each and put it in the outbox.

They take ids (and the language to write in), load what they need, and queue the mail under a
purpose derived from the request that asked for it (`request_key`, chosen when the job was
deferred), so a retried or redelivered job sends it once, while a second request sends a new
one. The outbox delivers it over SMTP after the handler's commit. They run inline after the
request's commit (declared here with planet.jobs.handler) or in a worker.
"""

from __future__ import annotations

import logging

from flask import render_template
from flask_babel import gettext as _

from planet import jobs
from planet.accounts import services, tokens
from planet.accounts.models import User
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.notifications import outbox
from planet.web.links import external_url

log = logging.getLogger(__name__)


def _hours(seconds: int) -> int:
    return max(1, round(seconds / 3600))


def _queue_action_mail(user: User, purpose: str, subject: str, lines: dict) -> None:
    context = {"user": user, "subject": subject, **lines}
    outbox.queue_email(
        user.email,
        purpose,
        subject,
        render_template("email/accounts/action.txt", **context),
        render_template("email/accounts/action.html", **context),
    )


@jobs.handler("accounts.send_verification_email")
def send_verification_email(user_id: int, locale: str | None = None, request_key: str = "") -> bool:
    """Send the "confirm your email address" mail. Returns False when there is nothing to do."""
    user = db.session.get(User, user_id)
    if user is None or user.email_verified_at is not None:
        return False
    link = external_url("accounts.verify_email", token=services.verification_token(user))
    with in_recipient_language(user, locale):
        hours = _hours(tokens.max_age(tokens.VERIFY_EMAIL))
        _queue_action_mail(
            user,
            f"account:verify:{user.id}:{request_key}",
            _("Confirm your email address"),
            {
                "greeting": _("Hello %(name)s,", name=user.display_name),
                "intro": _(
                    "Welcome to Planet! Please confirm that this is your email address by opening "
                    "the link below."
                ),
                "button": _("Confirm my email address"),
                "link": link,
                "expiry": _("The link works for %(hours)s hours.", hours=hours),
                "ignore": _("If you did not create an account, you can ignore this mail."),
                "signature": _("— The Planet team"),
            },
        )
    return True


@jobs.handler("accounts.send_password_reset_email")
def send_password_reset_email(
    user_id: int, locale: str | None = None, request_key: str = ""
) -> bool:
    """Send a password reset link (valid until used, the password changes, or it expires)."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    link = external_url("accounts.reset_password", token=services.reset_token(user))
    with in_recipient_language(user, locale):
        minutes = max(1, round(tokens.max_age(tokens.RESET_PASSWORD) / 60))
        _queue_action_mail(
            user,
            f"account:reset:{user.id}:{request_key}",
            _("Reset your Planet password"),
            {
                "greeting": _("Hello %(name)s,", name=user.display_name),
                "intro": _(
                    "Someone (hopefully you) asked to reset the password of your Planet account. "
                    "Open the link below to choose a new password."
                ),
                "button": _("Choose a new password"),
                "link": link,
                "expiry": _(
                    "The link works once, for %(minutes)s minutes. Setting a new password "
                    "signs you out on every device.",
                    minutes=minutes,
                ),
                "ignore": _(
                    "If you did not ask for this, ignore this mail: your password stays the same."
                ),
                "signature": _("— The Planet team"),
            },
        )
    return True


@jobs.handler("accounts.remove_avatar_file")
def remove_avatar_file(key: str) -> None:
    """Delete a replaced avatar file (kept if some account still uses it)."""
    services.delete_avatar_file(key)
