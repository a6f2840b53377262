"""Leak protection (防泄露): each member's name and member number over what they read.

A planet with `watermark` on serves its topic images and its library's PDFs and images to each
reader with their name and member number tiled across them (a PDF's pages become images with
the marks drawn in), drawn server-side with Pillow and kept in storage per
reader and file (a second view is a read, not a render); its topic pages carry the same text,
faint, behind the content. A leaked screenshot then shows whose it was, and the owner looks the
number up (`member_by_number`).

A member number is the membership's place in the planet by joining order (the owner is No. 1):
stable, because membership rows are never deleted while the planet lives.
"""

from __future__ import annotations

import hashlib
import math
from io import BytesIO

from flask import abort
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from planet.accounts.models import User
from planet.content.models import Attachment
from planet.content.uploads import storage_key
from planet.extensions import db
from planet.images import cjk_font
from planet.planets.models import Membership, Planet
from planet.storage import storage

VERSION = 1  # part of every cached file's key: change it when the drawing changes
MAX_NUMBER = 10_000_000
OUTPUT = {"JPEG": ("image/jpeg", "jpg"), "WEBP": ("image/webp", "webp")}
PNG = ("image/png", "png")
PDF_PAGES = 100  # a longer PDF is served marked up to this page
PDF_SCALE = 1.5  # 108 dpi: readable on a screen, not a print master


def member_number(planet_id: int, user_id: int) -> int | None:
    """The user's member number in the planet (None if they never joined it)."""
    own = (
        select(Membership.id)
        .where(Membership.planet_id == planet_id, Membership.user_id == user_id)
        .scalar_subquery()
    )
    number = db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.planet_id == planet_id, Membership.id <= own
        )
    )
    return number or None


def member_by_number(planet: Planet, number: int) -> tuple[Membership, User] | None:
    """The membership (and person) whose member number in `planet` is `number`."""
    if not 1 <= number <= MAX_NUMBER:
        return None
    return db.session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.planet_id == planet.id)
        .order_by(Membership.id)
        .offset(number - 1)
        .limit(1)
    ).first()


def mark_for(planet: Planet, user) -> str:
    """The text drawn for this reader: their name and member number."""
    number = member_number(planet.id, user.id)
    who = (user.display_name or "").strip()[:24]
    return f"{who} · No.{number}" if number else f"{who} · #{user.id}"


def draw(data: bytes, text: str) -> tuple[bytes, str]:
    """`data` (an image we accepted) with `text` tiled across it, diagonally, half-transparent
    white with a dark edge so it shows on light and dark pictures. (bytes, content type); an
    animated GIF keeps its first frame, as a PNG."""
    with Image.open(BytesIO(data)) as image:
        source_format = image.format
        image.seek(0)
        base = image.convert("RGBA")
    width, height = base.size
    size = max(12, min(width, height) // 16)
    font = cjk_font(size)
    measure = ImageDraw.Draw(base).textbbox((0, 0), text, font=font, stroke_width=1)
    tile = Image.new("RGBA", (measure[2] + size * 2, measure[3] + size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text(
        (size, size), text, font=font, fill=(255, 255, 255, 110),
        stroke_width=1, stroke_fill=(0, 0, 0, 90),
    )  # fmt: skip
    tile = tile.rotate(28, expand=True, resample=Image.Resampling.BICUBIC)
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    step_x, step_y = tile.width + size, max(tile.height * 3 // 4, size * 3)
    for row in range(math.ceil(height / step_y) + 1):
        offset = (row % 2) * step_x // 2
        for column in range(-1, math.ceil(width / step_x) + 1):
            layer.alpha_composite(tile, (column * step_x + offset, row * step_y - size), (0, 0))
    marked = Image.alpha_composite(base, layer)
    content_type, _ext = OUTPUT.get(source_format, PNG)
    output = BytesIO()
    if content_type == "image/jpeg":
        marked.convert("RGB").save(output, "JPEG", quality=88)
    elif content_type == "image/webp":
        marked.save(output, "WEBP", quality=88)
    else:
        marked.save(output, "PNG", optimize=False)
    return output.getvalue(), content_type


def _cached(planet: Planet, source_key: str, text: str, ext: str, content_type: str, render):
    """Storage key of `source_key` marked with `text`: rendered by `render(original bytes)`
    the first time (per reader and file), read from storage after."""
    digest = hashlib.sha256(f"{VERSION}|{source_key}|{text}".encode()).hexdigest()[:40]
    key = f"watermarks/{planet.id}/{digest[:2]}/{digest}.{ext}"
    store = storage()
    if not store.exists(key):
        original = store.read(source_key)
        if original is None:
            abort(404)
        store.put(key, render(original), content_type)
    return key


def _private(response):
    if response is None:
        abort(404)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _image_output(content_type: str) -> tuple[str, str]:
    fmt = {"image/jpeg": "JPEG", "image/webp": "WEBP"}.get(content_type, "PNG")
    return OUTPUT.get(fmt, PNG)


def send_watermarked(planet: Planet, attachment: Attachment, user):
    """A topic or check-in image as `user` may see it in a watermarking planet. Call it only
    after the policy allowed the view."""
    text = mark_for(planet, user)
    content_type, ext = _image_output(attachment.content_type)
    key = _cached(planet, storage_key(attachment.key), text, ext, content_type,
                  lambda data: draw(data, text)[0])  # fmt: skip
    return _private(storage().send(key, content_type))


def mark_pdf(data: bytes, text: str) -> bytes:
    """The PDF's pages (at most PDF_PAGES) drawn as images with `text` over each, as a PDF:
    the marks cannot be taken out of the page as a separate layer could."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        pages = []
        for index in range(min(len(document), PDF_PAGES)):
            picture = document[index].render(scale=PDF_SCALE).to_pil().convert("RGB")
            buffer = BytesIO()
            picture.save(buffer, "PNG")
            marked, _type = draw(buffer.getvalue(), text)
            pages.append(Image.open(BytesIO(marked)).convert("RGB"))
    finally:
        document.close()
    output = BytesIO()
    pages[0].save(output, "PDF", save_all=True, append_images=pages[1:], resolution=72 * PDF_SCALE)
    return output.getvalue()


def send_marked_file(planet: Planet, row, user):
    """A library file (a PDF or an image) marked for `user`, as a download."""
    from planet.content.library import services as library

    text = mark_for(planet, user)
    if row.kind == "pdf":
        content_type, ext = "application/pdf", "pdf"
        key = _cached(planet, library.file_key(row), text, ext, content_type,
                      lambda data: mark_pdf(data, text))  # fmt: skip
    else:
        content_type, ext = _image_output(row.content_type)
        key = _cached(planet, library.file_key(row), text, ext, content_type,
                      lambda data: draw(data, text)[0])  # fmt: skip
    return library.send(row, key, content_type)


def send_to_reader(planet: Planet, attachment: Attachment, user):
    """A stored image for a reader the policy allowed: watermarked with their name and number
    when the planet asks for it, else as stored."""
    from planet.content.uploads import send_stored

    if planet.watermark and user.is_authenticated and attachment.content_type.startswith("image/"):
        return send_watermarked(planet, attachment, user)
    return send_stored(attachment)
