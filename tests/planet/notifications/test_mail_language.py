"""Every mail is in its recipient's language (RELIABILITY 28): account mails, every kind of
notification that emails (a new Kind without a case here fails), digests, and the language
saved at sign-up and in the account settings."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from planet.accounts import emails
from planet.accounts.models import User
from planet.extensions import db
from planet.notifications import services
from planet.notifications.models import EMAIL_DEFAULTS, Kind, Notification, Outbox

CJK = re.compile(r"[\u4e00-\u9fff]")
DATA = {
    "actor": "Ada",
    "planet": "Astro",
    "amount": "$10.00",
    "date": "2027-01-01",
    "title": "Hello",
    "score": "A",
    "link": "/p/astro",
}


def _assert_language(row: Outbox, locale: str) -> None:
    for part in (row.subject, row.text_body):
        if locale == "en":
            assert not CJK.search(part), (row.purpose, part)
        else:
            assert CJK.search(part), (row.purpose, part)


def _rows(email: str) -> list[Outbox]:
    return db.session.scalars(
        select(Outbox).where(Outbox.recipient == email).order_by(Outbox.id)
    ).all()


@pytest.fixture
def readers(make):
    return {
        locale: make.user(email=f"{locale}@example.com", locale=locale) for locale in ("en", "zh")
    }


def _mail(user, kind, planet, locale, count):
    """Mail `user` one notification of `kind` now (as the outbox would)."""
    notification = Notification(
        user_id=user.id,
        kind=kind,
        planet_id=planet.id,
        dedupe_key=f"lang:{kind}:{locale}",
        data=json.dumps(DATA),
        count=count,
    )
    db.session.add(notification)
    db.session.flush()
    services.email_notifications([notification])


@pytest.mark.parametrize("kind", [kind for kind in Kind if EMAIL_DEFAULTS[kind]])
def test_every_notification_kind_that_emails_is_in_the_recipients_language(
    app, make, readers, kind
):
    """Kinds that email only when switched on are walked by the next test: together the two
    cover every Kind."""
    planet = make.planet(name="Astro")
    for locale, user in readers.items():
        _mail(user, kind, planet, locale, count=1)
        (row,) = _rows(user.email)
        _assert_language(row, locale)


def test_opt_in_kinds_are_in_the_recipients_language_too(app, make, readers):
    planet = make.planet(name="Astro")
    for kind in (k for k in Kind if not EMAIL_DEFAULTS[k]):
        for locale, user in readers.items():
            _mail(user, kind, planet, locale, count=2)
            _assert_language(_rows(user.email)[-1], locale)


@pytest.mark.parametrize("send", ["verification", "password_reset"])
def test_account_mails_follow_the_saved_language_over_the_request(app, make, readers, send):
    for locale, user in readers.items():
        other = "zh" if locale == "en" else "en"  # the request's language loses to the saved one
        if send == "verification":
            user.email_verified_at = None  # only an unverified address gets the link
            db.session.flush()
            emails.send_verification_email(user.id, other)
        else:
            emails.send_password_reset_email(user.id, other)
        _assert_language(_rows(user.email)[-1], locale)


def test_digest_is_in_the_recipients_language(app, make, smtp_catcher):
    from workers import digests

    now = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
    owner = make.user(email="owner@example.com", locale="en")
    planet = make.planet(owner, name="Astro")
    for locale in ("en", "zh"):
        make.member(planet, make.user(email=f"{locale}@example.com", locale=locale))
    make.topic(planet, owner, "Body", title="Weekly notes", feed_at=now - timedelta(days=3))
    digests.fan_out_weekly(now)
    for locale in ("en", "zh"):
        (row,) = [r for r in _rows(f"{locale}@example.com") if r.purpose.startswith("digest:")]
        _assert_language(row, locale)


def test_signup_saves_the_browsers_language_and_settings_change_it(client, make, smtp_catcher):
    response = client.post(
        "/accounts/signup",
        data={
            "email": "newcomer@example.com",
            "display_name": "Newcomer",
            "password": "a long and unusual passphrase 42",
        },
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "newcomer@example.com"))
    assert user.locale == "en"
    _assert_language(_rows("newcomer@example.com")[-1], "en")
    # A later mail, sent with no request at all, is still in English.
    emails.send_password_reset_email(user.id)
    _assert_language(_rows("newcomer@example.com")[-1], "en")
