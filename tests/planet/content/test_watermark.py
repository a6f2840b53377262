"""Leak protection (防泄露) through the HTTP app: with the planet's watermark on, each reader gets
topic and check-in images with their own name and member number drawn on them (rendered once
per reader and file, then read from storage), topic pages carry the same text; copy protection
marks the page; the owner turns a member number back into the member, and the lookup is in the
audit list."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageChops
from sqlalchemy import select

from planet.content import watermark
from planet.content.models import Attachment
from planet.extensions import db
from planet.moderation.models import AuditEntry
from planet.storage import storage
from tests.planet.content.conftest import image_bytes

pytestmark = pytest.mark.usefixtures("storage_backend")


def _topic_with_image(world, fmt="PNG", size=(400, 300)) -> Attachment:
    response = world.client("owner").post(
        world.url("new"),
        data={"body": "A chart", "images": [(BytesIO(image_bytes(fmt, size)), f"a.{fmt}")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    return db.session.scalars(select(Attachment).order_by(Attachment.id.desc())).first()


def _set(world, **values):
    for name, value in values.items():
        setattr(world.planet, name, value)
    db.session.commit()


def _image(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def test_member_numbers_follow_joining_order_and_turn_back_into_members(world):
    numbers = {who: watermark.member_number(world.planet.id, world.people[who].id)
               for who in ("owner", "admin", "guest", "member", "expired", "banned")}  # fmt: skip
    assert numbers["owner"] == 1
    assert sorted(numbers.values()) == list(range(1, 7))
    for who, number in numbers.items():
        _membership, person = watermark.member_by_number(world.planet, number)
        assert person.id == world.people[who].id
    assert watermark.member_number(world.planet.id, world.outsider.id) is None
    assert watermark.member_by_number(world.planet, 0) is None
    assert watermark.member_by_number(world.planet, 7) is None


def test_without_the_watermark_images_are_served_as_stored(world):
    item = _topic_with_image(world)
    response = world.client("member").get(world.url(f"files/{item.key}"))
    assert response.data == image_bytes("PNG", (400, 300))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_each_reader_gets_their_own_marked_image_rendered_once(world, monkeypatch, fmt):
    item = _topic_with_image(world, fmt)
    _set(world, watermark=True)
    drawn = []
    real_draw = watermark.draw
    monkeypatch.setattr(
        watermark, "draw", lambda data, text: drawn.append(text) or real_draw(data, text)
    )
    original = _image(image_bytes(fmt, (400, 300))).convert("RGB")
    seen = {}
    for who in ("member", "admin", "member"):
        response = world.client(who).get(world.url(f"files/{item.key}"))
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        marked = _image(response.data)
        assert marked.size == original.size
        assert response.headers["Content-Type"] == {"GIF": "image/png"}.get(
            fmt, f"image/{fmt.lower()}"
        )
        changed = ImageChops.difference(original, marked.convert("RGB")).getbbox()
        assert changed is not None, "nothing was drawn"
        seen.setdefault(who, response.data)
        assert seen[who] == response.data  # the same reader: the same file
    assert seen["member"] != seen["admin"]
    marks = [
        f"{world.people[who].display_name} · No.{watermark.member_number(world.planet.id, world.people[who].id)}"  # noqa: E501
        for who in ("member", "admin")
    ]
    assert drawn == marks
    keys = [o.key for o in storage().iter_keys("watermarks/")]
    assert len(keys) == 2


def test_the_mark_covers_the_whole_image(world):
    """Cropping a corner must not remove it: every quarter of the picture carries marks."""
    data, _type = watermark.draw(image_bytes("PNG", (800, 600)), "Tester · No.42")
    marked = _image(data).convert("RGB")
    original = _image(image_bytes("PNG", (800, 600))).convert("RGB")
    for box in ((0, 0, 400, 300), (400, 0, 800, 300), (0, 300, 400, 600), (400, 300, 800, 600)):
        assert ImageChops.difference(original.crop(box), marked.crop(box)).getbbox(), box


def test_chinese_names_are_drawn(world):
    chinese, _ = watermark.draw(image_bytes("PNG", (300, 200)), "林星主 · No.1")
    boxes, _ = watermark.draw(image_bytes("PNG", (300, 200)), "□□□ · No.1")
    assert chinese != boxes  # drawn with a font that has the glyphs, not as missing boxes


def test_topic_pages_carry_the_readers_mark_and_copy_protection_marks_the_body(world):
    item = _topic_with_image(world)
    page = world.client("member").get(world.url(f"t/{item.topic_id}")).get_data(as_text=True)
    assert "data-watermark" not in page and "data-no-copy" not in page
    _set(world, watermark=True, copy_protection=True)
    page = world.client("member").get(world.url(f"t/{item.topic_id}")).get_data(as_text=True)
    number = watermark.member_number(world.planet.id, world.member.id)
    assert f'data-watermark="{world.member.display_name} · No.{number}"' in page
    assert "data-no-copy" in page


def test_the_settings_page_switches_leak_protection(world):
    page = world.client("owner").get(world.url("settings")).get_data(as_text=True)
    assert 'name="watermark"' in page and 'name="copy_protection"' in page
    assert world.url("leaks") in page


def test_the_owner_looks_a_number_up_and_the_lookup_is_audited(world):
    owner = world.client("owner")
    number = watermark.member_number(world.planet.id, world.member.id)
    response = owner.post(world.url("leaks"), data={"number": str(number)})
    assert response.status_code == 200
    assert f'data-found="{world.member.id}"' in response.get_data(as_text=True)
    nobody = owner.post(world.url("leaks"), data={"number": "999"})
    assert nobody.status_code == 200 and 'data-found=""' in nobody.get_data(as_text=True)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "leak_lookup")).all()
    assert [(e.target, e.detail) for e in entries] == [
        (f"member:{world.member.id}", f"No.{number}"), ("", "No.999")
    ]  # fmt: skip


@pytest.mark.parametrize("value", ["0", "-3", "abc", "", "99999999999"])
def test_bad_numbers_are_a_clear_400(world, value):
    response = world.client("owner").post(world.url("leaks"), data={"number": value})
    assert response.status_code == 400
    assert db.session.scalar(select(AuditEntry.id)) is None


@pytest.mark.parametrize("who", ["admin", "guest", "member", "outsider"])
def test_only_the_owner_looks_up(world, who):
    response = world.client(who).post(world.url("leaks"), data={"number": "1"})
    assert response.status_code == 403
    assert world.owner.display_name not in response.get_data(as_text=True).split("</header>")[-1]


@pytest.mark.parametrize(
    "who", ["owner", "admin", "guest", "member", "expired", "banned", "outsider", "anonymous"]
)
def test_every_standing_gets_a_marked_image_or_nothing(world, who):
    item = _topic_with_image(world)
    _set(world, watermark=True)
    response = world.client(who).get(world.url(f"files/{item.key}"))
    if who in ("owner", "admin", "guest", "member"):
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data != image_bytes("PNG", (400, 300))
    else:
        assert response.status_code in (302, 401, 403, 404)
        assert not response.mimetype.startswith("image/")
