"""Bad input keeps the form: an image too large or not an image, too many images, or a vote with
no option answers with the form again (4xx), what the person typed still in it and the reason
beside the field; the inputs carry the limits static/js/uploads.js checks before upload."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta
from io import BytesIO

import pytest

from planet.content.models import Topic
from planet.engagement.checkins import services as checkins
from planet.engagement.checkins.models import CheckIn
from planet.engagement.polls import services as polls
from planet.engagement.polls.models import PollBallot
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet, Role
from tests.planet.content.conftest import image_bytes

# Files are stored on this machine and in an S3 bucket (tests/plugins/s3.py): both must work.
pytestmark = pytest.mark.usefixtures("storage_backend")

SMALL_LIMIT = 104_858  # 0.1 MB
BIG = image_bytes(size=(200, 200), noisy=True)  # a real PNG over SMALL_LIMIT
NOT_AN_IMAGE = b"%PDF-1.4 this is not an image"
TYPED = "My carefully typed words"
EN, ZH = {"Accept-Language": "en"}, {"Accept-Language": "zh"}


def _text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def _count(model) -> int:
    return db.session.query(model).count()


def _input(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, f"no input {name}"
    return found.group(0)


@pytest.fixture
def owner(make, client, login_as):
    user = make.user(name="Olga")
    planet = make.planet(user, slug="moon")
    login_as(user)
    return planet


def _post_topic(client, images, headers=EN):
    return client.post(
        "/p/moon/new",
        data={"title": "Launch notes", "body": TYPED, "images": images},
        content_type="multipart/form-data",
        headers=headers,
    )


# ---------------------------------------------------------------- the new topic form


def test_the_topic_form_carries_the_limits(app, owner, client):
    field = _input(client.get("/p/moon/new").get_data(as_text=True), "images")
    assert 'accept="image/png,image/jpeg,image/webp,image/gif"' in field
    assert f'data-max-bytes="{app.config["UPLOAD_MAX_BYTES"]}"' in field
    assert 'data-max-files="9"' in field and "data-too-large=" in field


def test_a_topic_image_too_large_keeps_the_text(app, owner, client):
    app.config["UPLOAD_MAX_BYTES"] = SMALL_LIMIT
    response = _post_topic(client, [(BytesIO(BIG), "big.png")])
    page = _text(response)
    assert response.status_code == 413
    assert TYPED in page and 'value="Launch notes"' in page
    assert "That image is too large (at most 0.1 MB)." in page
    assert 'action="/p/moon/new"' in page and _count(Topic) == 0


def test_an_image_just_over_the_default_limit_still_comes_back_to_the_form(app, owner, client):
    """The request limit stays above the per-image one, so the field check answers (not a
    bare 413 page that loses the text)."""
    limit = app.config["UPLOAD_MAX_BYTES"]
    assert app.config["MAX_CONTENT_LENGTH"] > 9 * limit
    response = _post_topic(client, [(BytesIO(b"\x89PNG" + b"0" * limit), "big.png")], ZH)
    page = _text(response)
    assert response.status_code == 413
    assert TYPED in page and "图片太大了（最大 5 MB）。" in page


@pytest.mark.parametrize(
    "lang,reason",
    [("en", "Only PNG, JPEG, WebP and GIF images can be uploaded."), ("zh", "只能上传 PNG")],
)
def test_a_topic_file_that_is_not_an_image_keeps_the_text(owner, client, lang, reason):
    response = _post_topic(
        client, [(BytesIO(NOT_AN_IMAGE), "notes.png")], {"Accept-Language": lang}
    )
    page = _text(response)
    assert response.status_code == 400
    assert TYPED in page and reason in page and _count(Topic) == 0


def test_too_many_topic_images_keep_the_text(owner, client):
    images = [(BytesIO(image_bytes()), f"{n}.png") for n in range(10)]
    response = _post_topic(client, images)
    page = _text(response)
    assert response.status_code == 400
    assert TYPED in page and "At most 9 images per topic." in page and _count(Topic) == 0
    # beside the images field, not only at the top of the page
    assert re.search(r'name="images".*?<small class="error">At most 9 images', page, re.S)


# ---------------------------------------------------------------- avatars


def test_an_avatar_too_large_or_not_an_image_shows_the_settings_form(app, make, client, login_as):
    login_as(make.user(name="Ada"))
    app.config["AVATAR_MAX_BYTES"] = SMALL_LIMIT
    field = _input(client.get("/accounts/settings").get_data(as_text=True), "avatar")
    assert f'data-max-bytes="{SMALL_LIMIT}"' in field and 'accept="image/png' in field
    for data, status, reason in [
        (BIG, 413, "That image is too large (at most 0.1 MB)."),
        (NOT_AN_IMAGE, 400, "The avatar must be an image"),
    ]:
        response = client.post(
            "/accounts/settings/avatar",
            data={"avatar": (BytesIO(data), "me.png")},
            content_type="multipart/form-data",
            headers=EN,
        )
        page = _text(response)
        assert response.status_code == status
        assert reason in page and 'action="/accounts/settings/avatar"' in page
        assert 'value="Ada"' in page  # the profile form is still filled in


def _planet_form(**overrides):
    data = {
        "name": "增长实验室",
        "slug": "growth-lab",
        "description": TYPED,
        "category": "business",
        "tags": "growth",
        "price": "0",
        "currency": "cny",
        "posting_policy": "staff",
        "preview_essence_count": "3",
        "rules": "Be kind.",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "data,status,reason",
    [
        (BIG, 413, "图片太大了（最大 0.1 MB）。"),
        (NOT_AN_IMAGE, 400, "头像必须是图片"),
    ],
    ids=["too-large", "not-an-image"],
)
def test_a_bad_planet_avatar_keeps_the_new_planet_form(
    app, make, client, login_as, data, status, reason
):
    login_as(make.user())
    app.config["UPLOAD_MAX_BYTES"] = SMALL_LIMIT
    response = client.post(
        "/planets/new",
        data=_planet_form(avatar=(BytesIO(data), "cover.png")),
        content_type="multipart/form-data",
        headers=ZH,
    )
    page = _text(response)
    assert response.status_code == status
    assert reason in page and TYPED in page and 'value="增长实验室"' in page
    assert f'data-max-bytes="{SMALL_LIMIT}"' in _input(page, "avatar")  # checked before upload
    assert db.session.query(Planet).filter_by(slug="growth-lab").count() == 0


def test_a_planet_avatar_too_large_keeps_the_settings_form(app, owner, client):
    app.config["UPLOAD_MAX_BYTES"] = SMALL_LIMIT
    page = client.get("/p/moon/settings").get_data(as_text=True)
    assert f'data-max-bytes="{SMALL_LIMIT}"' in _input(page, "avatar")
    response = client.post(
        "/p/moon/settings",
        data=_planet_form(name="Moon base", avatar=(BytesIO(BIG), "cover.png"), slug=None),
        content_type="multipart/form-data",
        headers=EN,
    )
    page = _text(response)
    assert response.status_code == 413
    assert "That image is too large (at most 0.1 MB)." in page and TYPED in page
    assert 'value="Moon base"' in page


# ---------------------------------------------------------------- check-ins


@pytest.fixture
def challenge(owner, make, client, login_as):
    member = make.user(name="Mia")
    make.member(owner, member, role=Role.MEMBER)
    item = checkins.create_challenge(
        owner,
        owner.owner,
        checkins.ChallengeInput(
            title="Read", rules="", start_date=date.today() - timedelta(days=1), length_days=30
        ),
    )
    db.session.commit()
    login_as(member)
    return item


@pytest.mark.parametrize(
    "data,status,reason",
    [
        (BIG, 413, "That image is too large (at most 0.1 MB)."),
        (NOT_AN_IMAGE, 400, "Only PNG, JPEG, WebP and GIF images can be uploaded."),
    ],
    ids=["too-large", "not-an-image"],
)
def test_a_bad_check_in_image_keeps_the_text(app, challenge, client, data, status, reason):
    app.config["UPLOAD_MAX_BYTES"] = SMALL_LIMIT
    url = f"/p/moon/challenges/{challenge.id}"
    assert f'data-max-bytes="{SMALL_LIMIT}"' in _input(
        client.get(url).get_data(as_text=True), "image"
    )
    response = client.post(
        f"{url}/checkin",
        data={"body": TYPED, "image": (BytesIO(data), "day.png")},
        content_type="multipart/form-data",
        headers=EN,
    )
    page = _text(response)
    assert response.status_code == status
    assert reason in page and TYPED in page and f'action="{url}/checkin"' in page
    assert re.search(rf'name="image".*?<small class="error">{re.escape(reason)}', page, re.S)
    assert _count(CheckIn) == 0


# ---------------------------------------------------------------- a vote with no option


@pytest.mark.parametrize("lang,reason", [("en", "Choose an option."), ("zh", "请选择一个选项")])
def test_a_vote_with_no_option_shows_the_poll_with_the_reason(
    owner, make, client, login_as, lang, reason
):
    poll = polls.create_poll(
        owner,
        owner.owner,
        "Lunch?",
        ["Tea", "Coffee"],
        multiple=False,
        closes_at=utcnow() + timedelta(days=1),
    )
    member = make.user()
    make.member(owner, member, role=Role.MEMBER)
    db.session.commit()
    login_as(member)
    response = client.post(
        f"/p/moon/polls/{poll.id}/vote", data={}, headers={"Accept-Language": lang}
    )
    page = _text(response)
    assert response.status_code == 400
    assert reason in page and "Lunch?" in page and "Coffee" in page
    assert f'action="/p/moon/polls/{poll.id}/vote"' in page
    assert _count(PollBallot) == 0
