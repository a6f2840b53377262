"""Sign up, log in, log out, "next" redirects and server-side sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from planet.accounts import services
from planet.accounts.models import AuthSession, User
from planet.extensions import db
from tests.factories import PASSWORD
from tests.planet.accounts.conftest import is_signed_in, login, session_key, signup


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


# ---------------------------------------------------------------- sign up


def test_signup_creates_a_lowercased_account_and_signs_in(client):
    response = signup(client, email="  Ada@Example.COM ", name="  Ada   Lovelace ")
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada Lovelace"
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$")
    assert is_signed_in(client)


def test_signup_pages_render(client):
    for path in ("/accounts/signup", "/accounts/login", "/accounts/password/forgot"):
        response = client.get(path)
        assert response.status_code == 200
        assert 'name="email"' in response.get_data(as_text=True)


def test_duplicate_email_is_refused_whatever_the_case(client, make):
    make.user(email="ada@example.com")
    response = signup(client, email="ADA@example.com")
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    assert _users() == 1
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    "password, reason",
    [
        ("short1", "at least 8 characters"),
        ("password123", "too common"),
        ("12345678", "too common"),
        ("aaaaaaaaaaaa", "too common"),
        ("ada@example.com", "too common"),
    ],
)
def test_weak_passwords_are_refused(client, password, reason):
    response = signup(client, password=password)
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    assert _users() == 0


@pytest.mark.parametrize(
    "email, name",
    [("not-an-email", "Ada"), ("ada@example.com", "   "), ("ada@example.com", "x" * 61), ("", "")],
)
def test_bad_signup_input_is_a_clear_400(client, email, name):
    response = signup(client, email=email, name=name)
    assert response.status_code == 400
    assert _users() == 0


def test_service_signup_lowercases_and_checks(app):
    user = services.sign_up("Grace@Example.org", "Grace", "cobol compiler 1959")
    assert user.email == "grace@example.org"
    with pytest.raises(services.EmailTaken):
        services.sign_up("GRACE@example.org", "Grace 2", "another fine password")
    with pytest.raises(services.InvalidInput) as refused:
        services.sign_up("new@example.org", "New", "qwerty123")
    assert refused.value.field == "password"


# ---------------------------------------------------------------- log in / log out


def test_login_and_logout(client, make):
    user = make.user(email="ada@example.com")
    response = login(client, "ADA@example.com")
    assert response.status_code == 302
    assert is_signed_in(client)
    response = client.post("/accounts/logout")
    assert response.status_code == 302
    assert not is_signed_in(client)
    sessions = db.session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert len(sessions) == 1 and sessions[0].revoked_at is not None


@pytest.mark.parametrize("email, password", [("ada@example.com", "wrong password"),
                                             ("nobody@example.com", PASSWORD)])  # fmt: skip
def test_wrong_credentials_are_refused_with_one_message(client, make, email, password):
    make.user(email="ada@example.com")
    response = login(client, email, password)
    assert response.status_code == 401
    assert "The email or password is not correct." in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert db.session.scalar(select(func.count()).select_from(AuthSession)) == 0


def test_login_requires_both_fields(client):
    assert client.post("/accounts/login", data={"email": "a@example.com"}).status_code == 400


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/planets/new", "/planets/new"),
        ("/discover?q=x", "/discover?q=x"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("http:/evil.example", "/"),
        ("", "/"),
    ],
)
def test_next_redirects_only_to_same_site_paths(client, make, target, expected):
    make.user(email="ada@example.com")
    response = login(client, "ada@example.com", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_page_carries_next_and_signed_in_users_are_sent_on(client, make):
    make.user(email="ada@example.com")
    page = client.get("/accounts/login?next=/planets/new").get_data(as_text=True)
    assert 'value="/planets/new"' in page
    login(client, "ada@example.com")
    response = client.get("/accounts/login?next=https://evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == "/"


# ---------------------------------------------------------------- sessions


def test_a_fresh_session_key_at_every_login(client, make):
    """Session fixation: whatever the browser carried before, login issues a new key."""
    victim = make.user(email="ada@example.com")
    with client.session_transaction() as session:
        session["_user_id"] = "key-chosen-by-an-attacker"
        session["marker"] = "set before login"
    assert not is_signed_in(client)  # an unknown key is nobody
    assert login(client, "ada@example.com").status_code == 302
    first = session_key(client)
    assert first and first != "key-chosen-by-an-attacker"
    with client.session_transaction() as session:
        assert "marker" not in session  # the whole pre-login session was dropped
    stored = db.session.scalar(select(AuthSession).where(AuthSession.key == first))
    assert stored.user_id == victim.id and stored.revoked_at is None
    client.post("/accounts/logout")
    login(client, "ada@example.com")
    second = session_key(client)
    assert second and second != first


def test_two_logins_get_two_different_keys(app, make):
    make.user(email="ada@example.com")
    first, second = app.test_client(), app.test_client()
    login(first, "ada@example.com")
    login(second, "ada@example.com")
    assert session_key(first) != session_key(second)


def _copy_cookies(source, target, *names):
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        target.set_cookie(name, cookie.value)


def test_copied_session_cookie_is_refused_after_logout(app, make):
    make.user(email="ada@example.com")
    browser, thief = app.test_client(), app.test_client()
    login(browser, "ada@example.com")
    _copy_cookies(browser, thief, "session")
    assert is_signed_in(thief)  # the copy works while the session lives
    browser.post("/accounts/logout")
    assert not is_signed_in(thief)
    late = app.test_client()
    _copy_cookies(thief, late, "session")
    assert not is_signed_in(late)


def test_password_change_ends_every_other_session(app, make):
    make.user(email="ada@example.com")
    laptop, phone, thief = app.test_client(), app.test_client(), app.test_client()
    login(laptop, "ada@example.com")
    login(phone, "ada@example.com")
    _copy_cookies(phone, thief, "session")
    response = laptop.post(
        "/accounts/settings/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert is_signed_in(laptop)  # the device that changed it stays signed in
    assert not is_signed_in(phone)
    assert not is_signed_in(thief)
    assert login(app.test_client(), "ada@example.com").status_code == 401
    assert login(app.test_client(), "ada@example.com", "a brand new passphrase").status_code == 302


def test_remember_me_cookie_works_and_is_revoked_on_logout(app, make):
    make.user(email="ada@example.com")
    browser = app.test_client()
    response = login(browser, "ada@example.com", remember=True)
    assert response.status_code == 302
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))
    # A new browser session (the session cookie is gone) with only the remember cookie.
    restarted = app.test_client()
    _copy_cookies(browser, restarted, "remember_token")
    assert is_signed_in(restarted)
    copy = app.test_client()
    _copy_cookies(browser, copy, "remember_token")
    browser.post("/accounts/logout")
    assert browser.get_cookie("remember_token") is None  # cleared on this device
    assert not is_signed_in(copy)  # and dead on the server for every copy


def test_without_remember_me_there_is_no_remember_cookie(client, make):
    make.user(email="ada@example.com")
    response = login(client, "ada@example.com")
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_session_cookies_are_httponly_and_samesite(client, make):
    make.user(email="ada@example.com")
    response = login(client, "ada@example.com", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    for name in ("session=", "remember_token="):
        line = next(c for c in cookies if c.startswith(name))
        assert "HttpOnly" in line and "SameSite=Lax" in line


# ---------------------------------------------------------------- language


def test_error_pages_and_form_errors_in_chinese(client, make, zh):
    make.user(email="ada@example.com")
    response = client.get("/accounts/password/reset/not-a-token", headers=zh)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "链接无效" in page and 'lang="zh-CN"' in page
    response = login(client, "ada@example.com", "wrong password", headers=zh)
    assert response.status_code == 401
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    response = signup(client, email="ada@example.com", headers=zh)
    assert response.status_code == 409
    assert "该邮箱已注册" in response.get_data(as_text=True)
    response = client.get("/u/999", headers=zh)
    assert response.status_code == 404


def test_pages_in_english_for_english_browsers(client):
    page = client.get("/accounts/login", headers={"Accept-Language": "en-US"}).get_data(
        as_text=True
    )
    assert "Remember me on this device" in page


@pytest.mark.parametrize(
    "language, expected",
    [("zh-CN", "请先登录再查看这个页面。"), ("en-US", "Please log in to see this page.")],
)
def test_the_log_in_first_notice_speaks_the_visitors_language(client, language, expected):
    headers = {"Accept-Language": language}
    response = client.get("/me/memberships", headers=headers)
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]
    page = client.get(response.headers["Location"], headers=headers).get_data(as_text=True)
    assert expected in page
    assert "Please log in to access this page." not in page
