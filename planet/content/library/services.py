"""Storing, listing, serving and deleting a planet's files.

An upload is read up to FILE_MAX_BYTES, its kind found from its bytes (detect.py), stored under
a random key outside the web root, and recorded; PDFs and images get a first-page thumbnail
from a worker job. A download goes through the policy, as an attachment that is never cached,
and is counted beside the (read-only) request.
"""

from __future__ import annotations

import secrets
import unicodedata
from io import BytesIO
from pathlib import PurePosixPath
from urllib.parse import quote

from flask import abort, current_app
from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy import func, select

from planet import jobs, policy
from planet.content.library.detect import detect
from planet.content.library.models import NAME_MAX, PlanetFile
from planet.content.queries.search import escape_like
from planet.errors import NotFound, ServiceError
from planet.extensions import db
from planet.images import megabytes
from planet.models import utcnow
from planet.planets.models import Planet
from planet.storage import storage

MAX_PER_TOPIC = 5
THUMBNAIL_SIZE = (480, 480)
PAGE_SIZE = 30
SEARCH_FILES = 10  # files shown above a search's topics


def max_bytes() -> int:
    return int(current_app.config["FILE_MAX_BYTES"])


def file_key(row: PlanetFile) -> str:
    return f"library/{row.planet_id}/{row.key}"


def thumbnail_key(row: PlanetFile) -> str:
    return f"library/{row.planet_id}/{row.key}-thumb.png"


def clean_name(raw: str | None) -> str:
    """The file's name as uploaded, without folders or control characters, at most NAME_MAX
    characters (its extension kept)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    if len(name) > NAME_MAX:
        suffix = PurePosixPath(name).suffix[:16]
        name = name[: NAME_MAX - len(suffix)] + suffix
    return name or "file"


def _read(upload) -> bytes:
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(
            _l("The file is too large (at most %(mb)s MB).", mb=megabytes(limit)), 413, field="file"
        )
    return data


def store(planet: Planet, author, upload, *, topic=None, listed: bool = True) -> PlanetFile:
    """Check and store one uploaded file of `author` in the planet (for `topic` when given)."""
    policy.require(author, policy.Action.UPLOAD_FILE, planet)
    name = clean_name(upload.filename)
    data = _read(upload)
    kind = detect(data, name)
    row = PlanetFile(
        planet_id=planet.id, author_id=author.id, topic_id=topic.id if topic else None,
        name=name, kind=kind.name, content_type=kind.content_type, size=len(data),
        key=secrets.token_urlsafe(24), listed=listed, created_at=utcnow(),
    )  # fmt: skip
    storage().put(file_key(row), data, kind.content_type)
    db.session.add(row)
    db.session.flush()
    if kind.name in ("pdf", "image"):
        jobs.defer("library.thumbnail", file_id=row.id)
    return row


def store_for_topic(planet: Planet, author, topic, uploads, *, listed: bool = True) -> list:
    """The documents sent with a topic (at most MAX_PER_TOPIC), stored for it."""
    files = [u for u in uploads or () if u and u.filename]
    if len(files) > MAX_PER_TOPIC:
        raise ServiceError(_l("At most %(n)d files per topic.", n=MAX_PER_TOPIC), field="documents")
    try:
        return [store(planet, author, upload, topic=topic, listed=listed) for upload in files]
    except ServiceError as error:
        error.field = "documents"  # shown beside the topic form's files
        raise


def attach(planet: Planet, author, topic, file_ids) -> None:
    """Give a topic the files its author uploaded while it waited for review (listed now)."""
    for row in db.session.scalars(
        select(PlanetFile).where(
            PlanetFile.id.in_([int(i) for i in file_ids or ()]),
            PlanetFile.planet_id == planet.id,
            PlanetFile.author_id == author.id,
        )
    ):
        row.topic_id, row.listed = topic.id, True


def file_in(planet: Planet, file_id: int) -> PlanetFile:
    row = db.session.get(PlanetFile, file_id)
    if row is None or row.planet_id != planet.id or row.deleted_at is not None:
        raise NotFound(_l("This file does not exist or was deleted."))
    return row


def listing(planet: Planet, *, q: str = "", kind: str = "", before: int | None = None):
    """([(PlanetFile, uploader name)], next cursor): the Files tab, newest first."""
    from planet.accounts.models import User

    statement = (
        select(PlanetFile, User.display_name)
        .join(User, User.id == PlanetFile.author_id)
        .where(
            PlanetFile.planet_id == planet.id,
            PlanetFile.listed.is_(True),
            PlanetFile.deleted_at.is_(None),
        )
        .order_by(PlanetFile.id.desc())
        .limit(PAGE_SIZE + 1)
    )
    if q:
        statement = statement.where(PlanetFile.name.ilike(f"%{escape_like(q)}%", escape="\\"))
    if kind:
        statement = statement.where(PlanetFile.kind == kind)
    if before is not None:
        statement = statement.where(PlanetFile.id < before)
    rows = db.session.execute(statement).all()
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1][0].id if more else None)


def of_topic(topic_id: int) -> list[PlanetFile]:
    return db.session.scalars(
        select(PlanetFile)
        .where(PlanetFile.topic_id == topic_id, PlanetFile.deleted_at.is_(None))
        .order_by(PlanetFile.id)
    ).all()


def counts(planet: Planet) -> int:
    return db.session.scalar(
        select(func.count(PlanetFile.id)).where(
            PlanetFile.planet_id == planet.id,
            PlanetFile.listed.is_(True),
            PlanetFile.deleted_at.is_(None),
        )
    )


def delete(planet: Planet, actor, row: PlanetFile) -> None:
    """Take the file down (its author, the owner or an admin); the bytes go with it."""
    policy.require(actor, policy.Action.DELETE_CONTENT, planet, row)
    row.deleted_at = utcnow()
    store_ = storage()
    store_.delete(file_key(row))
    store_.delete(thumbnail_key(row))


def content_disposition(name: str) -> str:
    """`attachment` with the name for every browser: an ASCII fallback and the UTF-8 name
    (RFC 6266 / 5987)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in name)  # fmt: skip
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def send(row: PlanetFile, data_key: str | None = None, content_type: str | None = None):
    """The file as a download the browser never caches, sniffs or runs."""
    response = storage().send(data_key or file_key(row), content_type or row.content_type)
    if response is None:
        abort(404)
    response.headers["Content-Disposition"] = content_disposition(row.name)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def first_page(row: PlanetFile, data: bytes) -> Image.Image | None:
    """The first page of a PDF, or the image itself, as a Pillow image (None if unreadable)."""
    if row.kind == "image":
        with Image.open(BytesIO(data)) as image:
            image.seek(0)
            return image.convert("RGB")
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
        try:
            page = document[0]
            return page.render(scale=1.0).to_pil().convert("RGB")
        finally:
            document.close()
    except (pdfium.PdfiumError, IndexError):
        return None


@jobs.handler("library.thumbnail")
def make_thumbnail(file_id: int, **_ignored) -> bool:
    """Draw a PDF's first page (or an image) small, for the Files tab; once."""
    row = db.session.get(PlanetFile, file_id)
    if row is None or row.deleted_at is not None or row.thumbnail:
        return False
    data = storage().read(file_key(row))
    image = first_page(row, data) if data else None
    if image is None:
        return False
    image.thumbnail(THUMBNAIL_SIZE)
    output = BytesIO()
    image.save(output, "PNG")
    storage().put(thumbnail_key(row), output.getvalue(), "image/png")
    row.thumbnail = True
    return True
