"""Image attachments: verified with Pillow, stored as `attachments/<2>/<key>` (planet/storage.py).

Files are never served from static/: content.attachment streams them after the access policy.
The stored content type comes from what Pillow found, never from the browser.
"""

from __future__ import annotations

import os
import re
import secrets

from flask import abort
from flask_babel import lazy_gettext as _l

from planet import images
from planet.content.models import Attachment
from planet.errors import ServiceError
from planet.extensions import db
from planet.storage import storage

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def storage_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise ValueError("bad attachment key")
    return f"attachments/{key[:2]}/{key}"


def _read_limited(stream, limit: int, field: str | None = None) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(images.too_large_reason(limit), 413, field=field)
    return data


def inspect_image(data: bytes, field: str | None = None) -> tuple[str, str]:
    """Return (content_type, extension) if `data` is a PNG, JPEG, WebP or GIF image."""
    if not data:
        raise ServiceError(_l("The file is empty."), field=field)
    try:
        info = images.check_image(data)
    except images.BadImage as error:
        if error.too_large:
            raise ServiceError(_l("That image has too many pixels."), field=field) from None
        raise ServiceError(images.wrong_type_reason(), field=field) from None
    return info.content_type, info.extension


def store_image(planet_id: int, uploader_id: int, file_storage, field: str | None = None):
    """Verify and store one uploaded image; returns the (flushed) Attachment, not yet attached.
    A refusal names `field`, the form field the image came from, to be shown beside it."""
    data = _read_limited(file_storage.stream, images.upload_max_bytes(), field)
    content_type, extension = inspect_image(data, field)
    key = secrets.token_urlsafe(24)
    storage().put(storage_key(key), data, content_type)
    filename = os.path.basename(file_storage.filename or "")[:200] or f"image.{extension}"
    attachment = Attachment(
        key=key,
        planet_id=planet_id,
        uploader_id=uploader_id,
        filename=filename,
        content_type=content_type,
        size=len(data),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def has_file(file_storage) -> bool:
    return bool(file_storage is not None and getattr(file_storage, "filename", ""))


def stored_in_planet(planet_id: int, key: str) -> Attachment | None:
    """The planet's stored file with this key (a malformed key finds nothing)."""
    if not KEY_PATTERN.match(key):
        return None
    return db.session.scalar(
        db.select(Attachment).where(Attachment.key == key, Attachment.planet_id == planet_id)
    )


def send_stored(attachment: Attachment):
    """The file as a response the browser never caches, sniffs or runs (404 when missing).
    Call it only after the access policy allowed this viewer to see `attachment`."""
    response = storage().send(storage_key(attachment.key), attachment.content_type)
    if response is None:
        abort(404)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
