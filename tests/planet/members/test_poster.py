"""The invitation poster: a PNG with the member's referral link as a QR code, for members only."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from planet.images import _font_path
from planet.members import referrals
from planet.members.poster import HEIGHT, WIDTH, invite_url
from tests.conftest import login


@pytest.fixture
def planet(make):
    return make.planet(make.user(), slug="poster", name="海报测试星球", price_amount=19900)


def test_a_member_gets_a_poster_with_their_own_referral_link(app, client, make, planet):
    member = make.user(name="小明")
    make.member(planet, member)
    url = invite_url(planet, member.id)
    code = url.split("ref=")[1]
    assert url.startswith("http") and "/p/poster" in url
    assert referrals.referrer_in(planet.id, code) == member.id  # the QR code pays them
    login(client, member)
    response = client.get("/p/poster/poster.png", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "private" in response.headers["Cache-Control"]
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (WIDTH, HEIGHT)
    qr_box = image.crop((WIDTH // 2 - 150, HEIGHT - 420, WIDTH // 2 + 150, HEIGHT - 160))
    colours = qr_box.convert("L").getcolors(maxcolors=256 * 256)
    dark = sum(count for count, value in colours if value < 64)
    assert 0.2 < dark / (300 * 260) < 0.8  # a QR code's modules, not a blank box


def test_the_poster_speaks_the_viewers_language(app, client, make, planet):
    member = make.user(name="Ming")
    make.member(planet, member)
    login(client, member)
    chinese = client.get("/p/poster/poster.png", headers={"Accept-Language": "zh-CN"}).data
    english = client.get("/p/poster/poster.png", headers={"Accept-Language": "en"}).data
    assert chinese != english


def test_only_members_get_a_poster(app, client, make, planet):
    assert client.get("/p/poster/poster.png").status_code in (302, 401)
    login(client, make.user())
    assert client.get("/p/poster/poster.png").status_code == 403


def test_my_memberships_links_to_the_poster(app, client, make, planet):
    member = make.user()
    make.member(planet, member)
    login(client, member)
    page = client.get("/me/memberships").get_data(as_text=True)
    assert "/p/poster/poster.png" in page


def test_chinese_text_has_a_font_on_this_machine(app):
    assert _font_path(app.config["POSTER_FONT"]) is not None
