"""Settings: profile (name, bio, language), avatar uploads, password change; public profiles."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import select

from planet.accounts import services
from planet.accounts.models import User
from planet.extensions import db
from planet.storage import storage
from tests.factories import PASSWORD
from tests.planet.accounts.conftest import NEW_PASSWORD, login, signup

# Files are stored on this machine and in an S3 bucket (tests/plugins/s3.py): both must work.
pytestmark = pytest.mark.usefixtures("storage_backend")


@pytest.fixture
def ada(make):
    return make.user(email="ada@example.com", name="Ada")


@pytest.fixture
def signed_in(client, ada):
    login(client, "ada@example.com")
    return client


def _image(fmt="PNG", size=(64, 48), mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128)).save(
        buffer, format=fmt, **save
    )
    return buffer.getvalue()


def _upload(client, data: bytes, filename="me.png"):
    return client.post(
        "/accounts/settings/avatar",
        data={"avatar": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def _stored_files(app) -> list:
    return sorted(stored.key.removeprefix("avatars/") for stored in storage().iter_keys("avatars/"))


def _reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# ---------------------------------------------------------------- profile


def test_settings_requires_login(client):
    response = client.get("/accounts/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login?next=")


def test_settings_page_shows_the_profile(signed_in):
    page = signed_in.get("/accounts/settings").get_data(as_text=True)
    assert 'value="Ada"' in page and "ada@example.com" in page


def test_profile_update(signed_in, ada):
    response = signed_in.post(
        "/accounts/settings",
        data={"display_name": " Ada King ", "bio": "I write *programs*.", "locale": "zh"},
    )
    assert response.status_code == 302
    user = _reload(ada)
    assert (user.display_name, user.bio, user.locale) == ("Ada King", "I write *programs*.", "zh")
    # The saved language wins over the browser's.
    page = signed_in.get("/accounts/settings", headers={"Accept-Language": "en"})
    assert "个人资料" in page.get_data(as_text=True)
    signed_in.post("/accounts/settings", data={"display_name": "Ada", "bio": "", "locale": ""})
    assert _reload(ada).locale is None  # follow the browser again


@pytest.mark.parametrize(
    "data",
    [
        {"display_name": "", "bio": ""},
        {"display_name": "x" * 61, "bio": ""},
        {"display_name": "Ada", "bio": "b" * 2001},
        {"display_name": "Ada", "bio": "", "locale": "fr"},
    ],
)
def test_bad_profile_input_is_refused_and_nothing_saved(signed_in, ada, data):
    response = signed_in.post("/accounts/settings", data=data)
    assert response.status_code == 400
    user = _reload(ada)
    assert (user.display_name, user.bio) == ("Ada", "")


def test_html_in_name_and_bio_is_inert(client, signed_in, ada):
    signed_in.post(
        "/accounts/settings",
        data={
            "display_name": "<script>alert('name')</script>",
            "bio": "<img src=x onerror=alert(1)> [click](javascript:alert(2)) "
            "<iframe src=//evil></iframe> **bold**",
            "locale": "",
        },
    )
    profile = client.get(f"/u/{ada.id}")
    assert profile.status_code == 200
    page = profile.get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<iframe" not in page
    assert 'href="javascript:' not in page
    assert "<strong>bold</strong>" in page
    settings = signed_in.get("/accounts/settings").get_data(as_text=True)
    assert "<script>alert" not in settings


def test_html_in_the_name_is_inert_in_mails(client, smtp_catcher):
    signup(client, email="eve@example.com", name="<b>Eve</b>")
    html = smtp_catcher.html(smtp_catcher.last)
    assert "<b>Eve</b>" not in html and "&lt;b&gt;Eve&lt;/b&gt;" in html


def test_public_profile(client, make):
    user = make.user(name="Grace", bio="Hello **world**")
    page = client.get(f"/u/{user.id}").get_data(as_text=True)
    assert "Grace" in page and "<strong>world</strong>" in page
    assert "@example.com" not in page  # the email stays private
    assert client.get("/u/999999").status_code == 404


# ---------------------------------------------------------------- avatars


def test_a_real_png_is_accepted_re_encoded_and_served(app, client, signed_in, ada):
    original = _image("PNG", mode="RGBA", size=(1200, 800))
    response = _upload(signed_in, original + b"<script>alert(1)</script>")
    assert response.status_code == 302
    key = _reload(ada).avatar_path
    assert services.AVATAR_KEY.match(key)
    served = client.get(f"/accounts/avatars/{key}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert b"<script>" not in served.data  # re-encoded: nothing appended survives
    with Image.open(io.BytesIO(served.data)) as image:
        assert max(image.size) == services.AVATAR_MAX_SIDE
    assert "nosniff" in served.headers["X-Content-Type-Options"]
    profile = client.get(f"/u/{ada.id}").get_data(as_text=True)
    assert f"/accounts/avatars/{key}" in profile


@pytest.mark.parametrize("fmt, filename", [("JPEG", "me.jpg"), ("WEBP", "me.webp"),
                                           ("GIF", "me.gif")])  # fmt: skip
def test_jpeg_webp_and_gif_are_accepted(signed_in, ada, fmt, filename):
    assert _upload(signed_in, _image(fmt), filename).status_code == 302
    assert _reload(ada).avatar_path is not None


def test_metadata_is_stripped(client, signed_in, ada):
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    data = _image("JPEG", exif=exif.tobytes())
    assert b"SecretCameraMaker" in data
    assert _upload(signed_in, data, "me.jpg").status_code == 302
    served = client.get(f"/accounts/avatars/{_reload(ada).avatar_path}").data
    assert b"SecretCameraMaker" not in served
    with Image.open(io.BytesIO(served)) as image:
        assert not image.getexif()


@pytest.mark.parametrize(
    "data, filename",
    [
        (b"<html><script>alert(1)</script></html>", "evil.png"),
        (b"GIF89a<script>alert(1)</script>", "evil.gif"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "broken.png"),
        (b"", "empty.png"),
    ],
)
def test_non_images_renamed_png_are_refused(app, signed_in, ada, data, filename):
    response = _upload(signed_in, data, filename)
    assert response.status_code == 400
    assert "must be an image" in response.get_data(as_text=True) or not data
    assert _reload(ada).avatar_path is None
    assert _stored_files(app) == []


def test_other_image_formats_are_refused(app, signed_in, ada):
    response = _upload(signed_in, _image("BMP"), "me.png")
    assert response.status_code == 400
    assert _reload(ada).avatar_path is None


def test_oversize_avatar_is_refused(app, signed_in, ada):
    app.config["AVATAR_MAX_BYTES"] = 50_000
    noise = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 50_000
    response = _upload(signed_in, buffer.getvalue())
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert _reload(ada).avatar_path is None and _stored_files(app) == []


def test_request_over_the_upload_limit_is_413(app, signed_in, ada):
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    response = _upload(signed_in, b"\x89PNG" + b"0" * 200_000)
    assert response.status_code == 413
    assert _reload(ada).avatar_path is None


def test_replacing_and_removing_the_avatar_deletes_old_files(app, signed_in, ada):
    _upload(signed_in, _image())
    first = _reload(ada).avatar_path
    _upload(signed_in, _image(size=(10, 10)))
    second = _reload(ada).avatar_path
    assert first != second
    assert _stored_files(app) == [second]
    assert signed_in.post("/accounts/settings/avatar/remove").status_code == 302
    assert _reload(ada).avatar_path is None
    assert _stored_files(app) == []


@pytest.mark.parametrize("key", ["../../etc/passwd", "nothing.png", "a" * 32 + ".svg"])
def test_avatar_route_serves_only_stored_keys(client, key):
    assert client.get(f"/accounts/avatars/{key}").status_code == 404


def test_avatar_upload_requires_login(client):
    response = _upload(client, _image())
    assert response.status_code == 302 and "/accounts/login" in response.headers["Location"]


# ---------------------------------------------------------------- password change


def test_password_change_needs_the_current_password(app, signed_in, ada):
    response = signed_in.post(
        "/accounts/settings/password",
        data={
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "current password is not correct" in response.get_data(as_text=True)
    assert login(app.test_client(), "ada@example.com", PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "new, confirm, message",
    [
        ("short", "short", "at least 8"),
        ("iloveyou", "iloveyou", "too common"),
        (NEW_PASSWORD, "different", "do not match"),
        (PASSWORD, PASSWORD, "must differ"),
    ],
)
def test_password_change_refusals(signed_in, ada, new, confirm, message):
    before = _reload(ada).password_hash
    response = signed_in.post(
        "/accounts/settings/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": confirm},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _reload(ada).password_hash == before


def test_password_change_page(signed_in):
    page = signed_in.get("/accounts/settings/password")
    assert page.status_code == 200 and 'name="current_password"' in page.get_data(as_text=True)


def test_unverified_users_see_the_resend_button(client, smtp_catcher):
    signup(client)
    page = client.get("/accounts/settings").get_data(as_text=True)
    assert "/accounts/verify/resend" in page
    user = db.session.scalar(select(User))
    assert user.email_verified_at is None
