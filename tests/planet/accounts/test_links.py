"""Verification and password-reset links, sent over real SMTP to the test catcher."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from planet.accounts import tokens
from planet.accounts.models import AuthSession, User
from planet.extensions import db
from tests.factories import PASSWORD
from tests.planet.accounts.conftest import NEW_PASSWORD, is_signed_in, login, signup


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _link(catcher, marker: str) -> str:
    links = [url for url in catcher.links(catcher.last) if marker in url]
    assert len(links) == 1, catcher.text(catcher.last)
    return _path(links[0])


def _without_csrf(page: str) -> str:
    """The page with its per-session CSRF token values blanked (they differ per browser)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


def _forgot(client, email, headers=None):
    return client.post("/accounts/password/forgot", data={"email": email}, headers=headers)


def _reset(client, path, password=NEW_PASSWORD, confirm=None):
    return client.post(path, data={"password": password, "confirm": confirm or password})


# ---------------------------------------------------------------- verification


def test_signup_sends_a_verification_mail_that_verifies(client, smtp_catcher):
    signup(client, email="ada@example.com", name="Ada")
    mail = smtp_catcher.last
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Confirm your email address"
    assert mail.get_content_type() == "multipart/alternative"
    assert "Hello Ada," in smtp_catcher.text(mail)
    path = _link(smtp_catcher, "/accounts/verify/")
    assert path in smtp_catcher.html(mail)
    assert smtp_catcher.envelopes[-1][1] == ["ada@example.com"]

    page = client.get(path)  # a GET only shows the button: link scanners change nothing
    assert page.status_code == 200
    assert db.session.scalar(select(User)).email_verified_at is None
    response = client.post(path)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User)).email_verified_at is not None

    used = client.get(path)
    assert used.status_code == 400
    assert "already been used" in used.get_data(as_text=True)
    assert client.post(path).status_code == 400


def test_verification_mail_in_the_signup_language(client, smtp_catcher, zh):
    signup(client, email="li@example.com", name="李雷", headers=zh)
    mail = smtp_catcher.last
    assert mail["Subject"] == "请确认你的邮箱地址"
    assert "李雷" in smtp_catcher.text(mail)


def test_tampered_verification_link_is_refused(client, smtp_catcher):
    signup(client)
    path = _link(smtp_catcher, "/accounts/verify/")
    token = path.rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    for bad in (tampered, "x" + token, "nonsense"):
        response = client.get(f"/accounts/verify/{bad}")
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)).email_verified_at is None


def test_a_reset_token_is_not_a_verification_token(app, make):
    from planet.accounts import services

    user = make.user(email="ada@example.com")
    user.email_verified_at = None
    db.session.commit()
    client = app.test_client()
    response = client.post(f"/accounts/verify/{services.reset_token(user)}")
    assert response.status_code == 400


def test_expired_verification_link_is_refused(client, smtp_catcher, monkeypatch):
    signup(client)
    path = _link(smtp_catcher, "/accounts/verify/")
    sent_at = tokens.clock()
    age = tokens.max_age(tokens.VERIFY_EMAIL)
    monkeypatch.setattr(tokens, "clock", lambda: sent_at + age - 5)
    assert client.get(path).status_code == 200  # still valid just before the end
    monkeypatch.setattr(tokens, "clock", lambda: sent_at + age + 5)
    response = client.post(path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)).email_verified_at is None


def test_resend_verification(client, smtp_catcher):
    signup(client)
    smtp_catcher.clear()
    response = client.post("/accounts/verify/resend")
    assert response.status_code == 302
    assert smtp_catcher.last["Subject"] == "Confirm your email address"
    client.post(_link(smtp_catcher, "/accounts/verify/"))
    smtp_catcher.clear()
    client.post("/accounts/verify/resend")
    assert smtp_catcher.messages == []  # verified: nothing more to send


def test_resend_requires_login(client):
    response = client.post("/accounts/verify/resend")
    assert response.status_code == 302
    assert "/accounts/login" in response.headers["Location"]


# ---------------------------------------------------------------- password reset


def test_reset_password_through_the_mailed_link(app, make, smtp_catcher):
    user = make.user(email="ada@example.com")
    other_device = app.test_client()
    login(other_device, "ada@example.com")
    client = app.test_client()
    response = _forgot(client, "ADA@example.com ")
    assert response.status_code == 200
    mail = smtp_catcher.last
    assert mail["Subject"] == "Reset your Planet password"
    path = _link(smtp_catcher, "/accounts/password/reset/")
    assert client.get(path).status_code == 200

    weak = _reset(client, path, "password1")
    assert weak.status_code == 400
    mismatch = _reset(client, path, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 400

    response = _reset(client, path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/login"
    assert login(app.test_client(), "ada@example.com", PASSWORD).status_code == 401
    assert login(app.test_client(), "ada@example.com", NEW_PASSWORD).status_code == 302
    assert not is_signed_in(other_device)  # every earlier session ended
    db.session.expire_all()
    revoked = db.session.scalars(
        select(AuthSession).where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
    ).all()
    assert len(revoked) == 1  # only the login made after the reset

    # The same link, used again: the password hash changed, so its fingerprint no longer matches.
    again = client.get(path)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert _reset(client, path, "yet another passphrase").status_code == 400


def test_reset_link_dies_when_the_password_changes_elsewhere(app, make, smtp_catcher):
    make.user(email="ada@example.com")
    client = app.test_client()
    _forgot(client, "ada@example.com")
    path = _link(smtp_catcher, "/accounts/password/reset/")
    signed_in = app.test_client()
    login(signed_in, "ada@example.com")
    signed_in.post(
        "/accounts/settings/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    response = _reset(client, path, "an attacker password")
    assert response.status_code == 400
    assert login(app.test_client(), "ada@example.com", NEW_PASSWORD).status_code == 302


def test_expired_reset_link_is_refused(app, make, smtp_catcher, monkeypatch):
    make.user(email="ada@example.com")
    client = app.test_client()
    _forgot(client, "ada@example.com")
    path = _link(smtp_catcher, "/accounts/password/reset/")
    later = tokens.clock() + tokens.max_age(tokens.RESET_PASSWORD) + 1
    monkeypatch.setattr(tokens, "clock", lambda: later)
    response = _reset(client, path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert login(app.test_client(), "ada@example.com", PASSWORD).status_code == 302


def test_tampered_reset_link_is_refused(app, make, smtp_catcher):
    make.user(email="ada@example.com")
    client = app.test_client()
    _forgot(client, "ada@example.com")
    path = _link(smtp_catcher, "/accounts/password/reset/")
    head, token = path.rsplit("/", 1)
    payload, stamp, signature = token.split(".")
    forged = f"{head}/{payload}.{stamp}.{signature[::-1]}"
    assert _reset(client, forged).status_code == 400
    assert login(app.test_client(), "ada@example.com", PASSWORD).status_code == 302


@pytest.mark.parametrize("unknown", ["nobody@example.com", "not an email", "NOBODY@EXAMPLE.COM"])
def test_reset_answers_identically_for_unknown_emails(app, make, smtp_catcher, unknown):
    make.user(email="ada@example.com")
    known = _forgot(app.test_client(), "ada@example.com")
    assert len(smtp_catcher.messages) == 1
    other = _forgot(app.test_client(), unknown)
    assert len(smtp_catcher.messages) == 1  # no mail for an unknown address
    assert other.status_code == known.status_code
    assert _without_csrf(other.get_data(as_text=True)) == _without_csrf(
        known.get_data(as_text=True)
    )
    assert known.status_code == 200
    assert set(other.headers.keys()) == set(known.headers.keys())


def test_reset_mail_in_the_users_language(app, make, smtp_catcher):
    make.user(email="li@example.com", name="李雷", locale="zh")
    _forgot(app.test_client(), "li@example.com", headers={"Accept-Language": "en"})
    assert smtp_catcher.last["Subject"] == "重置你的星球密码"


def test_mail_failure_does_not_break_the_request(app, make):
    """With no SMTP server listening, the request still answers; the failure is logged."""
    make.user(email="ada@example.com")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT=2)
    response = _forgot(app.test_client(), "ada@example.com")
    assert response.status_code == 200


def test_account_mails_go_through_the_outbox_once_per_request(client, make, smtp_catcher):
    from planet import jobs
    from planet.accounts import emails
    from planet.notifications import outbox
    from planet.notifications.models import Outbox

    user = make.user(email="grace@example.com")
    db.session.commit()
    _forgot(client, "grace@example.com")
    _forgot(client, "grace@example.com")
    assert len(smtp_catcher.to("grace@example.com")) == 2  # two requests, two mails
    rows = db.session.scalars(select(Outbox).where(Outbox.recipient == "grace@example.com")).all()
    assert len(rows) == 2 and all(row.sent_at is not None for row in rows)
    assert all(row.purpose.startswith(f"account:reset:{user.id}:") for row in rows)

    # The job of the first request redelivered (a worker retried it): nothing new is sent.
    request_key = rows[0].purpose.rsplit(":", 1)[1]
    emails.send_password_reset_email(user.id, "en", request_key=request_key)
    jobs.commit()
    outbox.deliver_new()
    assert len(smtp_catcher.to("grace@example.com")) == 2
