"""Creating a planet: the happy path and every refusal."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from planet.extensions import db
from planet.planets.models import Membership, Planet, PostingPolicy, Role
from planet.planets.services import parse_price

# Files are stored on this machine and in an S3 bucket (tests/plugins/s3.py): both must work.
pytestmark = pytest.mark.usefixtures("storage_backend")


def _form(**overrides):
    data = {
        "name": "增长实验室",
        "slug": "growth-lab",
        "description": "Weekly notes on **growth**.",
        "category": "business",
        "tags": "社群运营, Growth, growth",
        "price": "199",
        "currency": "cny",
        "posting_policy": "staff",
        "questions_enabled": "y",
        "comments_enabled": "y",
        "private_messages_enabled": "y",
        "roster_visible": "y",
        "preview_essence_count": "3",
        "rules": "Be kind.",
        "is_listed": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _png(size=(20, 20)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 150, 130)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def _planets() -> int:
    return db.session.scalar(select(func.count(Planet.id)))


@pytest.fixture
def creator(make, login_as):
    user = make.user(name="Creator")
    login_as(user)
    return user


def test_create_planet_happy_path(client, creator, app):
    data = _form()
    data["avatar"] = (_png(), "logo.png")
    response = client.post("/planets/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/p/growth-lab/about")
    planet = db.session.scalar(select(Planet).where(Planet.slug == "growth-lab"))
    assert planet.name == "增长实验室"
    assert planet.owner_id == creator.id
    assert planet.price_amount == 19900 and planet.currency == "cny"
    assert planet.member_count == 1
    assert planet.posting_policy is PostingPolicy.STAFF
    assert planet.questions_enabled and planet.private_messages_enabled and planet.roster_visible
    assert not planet.anonymous_questions and not planet.public_directory
    assert planet.preview_essence_count == 3
    assert sorted(tag.name for tag in planet.tags) == ["growth", "社群运营"]
    owner = db.session.scalar(select(Membership).where(Membership.planet_id == planet.id))
    assert owner.user_id == creator.id and owner.role is Role.OWNER and owner.expires_at is None
    # The avatar was verified, re-encoded and is served.
    assert planet.avatar_path and planet.avatar_path.endswith(".png")
    avatar = client.get("/p/growth-lab/avatar")
    assert avatar.status_code == 200 and avatar.mimetype == "image/png"
    Image.open(io.BytesIO(avatar.data)).verify()


def test_create_page_renders_with_defaults(client, creator):
    page = client.get("/planets/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="slug"' in html and 'name="price"' in html


def test_free_planet_and_decimal_price(client, creator):
    assert client.post("/planets/new", data=_form(slug="free-one", price="0")).status_code == 302
    assert client.post("/planets/new", data=_form(slug="usd-one", price="99.5", currency="usd"))
    planets = {p.slug: p for p in db.session.scalars(select(Planet))}
    assert planets["free-one"].is_free
    assert planets["usd-one"].price_amount == 9950 and planets["usd-one"].currency == "usd"


def test_anonymous_cannot_create(client):
    response = client.post("/planets/new", data=_form())
    assert response.status_code in (302, 401)
    assert _planets() == 0


def test_duplicate_slug_is_a_clear_conflict(client, creator, make):
    make.planet(slug="growth-lab")
    response = client.post("/planets/new", data=_form())
    assert response.status_code == 409
    assert "already taken" in response.get_data(as_text=True)
    assert _planets() == 1


@pytest.mark.parametrize(
    "slug",
    [
        "ab",
        "Growth",
        "growth lab",
        "-growth",
        "growth-",
        "grow--th",
        "a" * 41,
        "增长",
        "admin",
        "new",
    ],
)
def test_bad_or_reserved_slug_is_refused(client, creator, slug):
    response = client.post("/planets/new", data=_form(slug=slug))
    assert response.status_code == 400
    assert _planets() == 0


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"price": "-1"}, "cannot be negative"),
        ({"price": "100000.01"}, "cannot exceed 100,000"),
        ({"price": "1000000"}, "cannot exceed 100,000"),
        ({"price": "1e9"}, "cannot exceed"),
        ({"price": "abc"}, "as a number"),
        ({"price": "NaN"}, "as a number"),
        ({"price": "9.999"}, "decimal places"),
        ({"currency": "jpy"}, ""),
        ({"name": ""}, ""),
        ({"name": "x" * 81}, ""),
        ({"description": "x" * 2001}, ""),
        ({"rules": "x" * 5001}, ""),
        ({"tags": ",".join(f"t{i}" for i in range(9))}, "At most 8 tags"),
        ({"tags": "x" * 31}, "at most 30"),
        ({"preview_essence_count": "-1"}, ""),
        ({"preview_essence_count": "21"}, ""),
        ({"posting_policy": "everyone"}, ""),
        ({"category": "weapons"}, ""),
    ],
)
def test_bad_input_is_refused_with_a_400(client, creator, overrides, message):
    response = client.post("/planets/new", data=_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _planets() == 0


def test_not_an_image_is_refused(client, creator, app):
    data = _form()
    data["avatar"] = (io.BytesIO(b"<?php echo 'hi'; ?>"), "evil.png")
    response = client.post("/planets/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert _planets() == 0


def test_html_in_fields_is_inert(client, creator):
    data = _form(
        name="<script>alert(1)</script>Evil",
        description="<img src=x onerror=alert(2)> **bold**",
        rules="<script>alert(3)</script>",
        tags="<b>tag</b>",
    )
    assert client.post("/planets/new", data=data).status_code == 302
    html = client.get("/p/growth-lab/about").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "onerror" not in html.replace("&lt;img src=x onerror=alert(2)&gt;", "")
    assert "<b>tag</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Evil" in html
    assert "<strong>bold</strong>" in html


@pytest.mark.parametrize(
    "text,currency,minor",
    [("0", "cny", 0), ("", "cny", 0), ("199", "cny", 19900), ("0.01", "usd", 1),
     ("100000", "usd", 10_000_000)],
)  # fmt: skip
def test_parse_price(app, text, currency, minor):
    assert parse_price(text, currency) == minor
