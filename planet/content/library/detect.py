"""What kind of file an upload really is, read from its bytes (never from its name), and the
refusals: an empty file, a kind we do not take, a name that lies about the content, an SVG
(it can carry script), a ZIP (or Office file, which is a ZIP) that would expand too far.

`filetype` reads the magic numbers; Office files are ZIP archives told apart by their entries.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePosixPath

import filetype
from flask_babel import lazy_gettext as _l

from planet import images
from planet.errors import ServiceError

ZIP_MAX_ENTRIES = 10_000
ZIP_MAX_RATIO = 100  # uncompressed / compressed, over the whole archive
ZIP_MAX_EXPANDED = 2 * 1024**3


@dataclass(frozen=True)
class Kind:
    name: str  # pdf, word, excel, powerpoint, zip, audio, video, image
    content_type: str
    extensions: tuple[str, ...]


def _kind(name: str, content_type: str, *extensions: str) -> Kind:
    return Kind(name, content_type, extensions)


OOXML = {
    "word/": _kind(
        "word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    ),
    "xl/": _kind(
        "excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    ),
    "ppt/": _kind(
        "powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
}
ZIP = _kind("zip", "application/zip", "zip")
BY_MIME = {
    "application/pdf": _kind("pdf", "application/pdf", "pdf"),
    "application/msword": _kind("word", "application/msword", "doc"),
    "application/vnd.ms-excel": _kind("excel", "application/vnd.ms-excel", "xls"),
    "application/vnd.ms-powerpoint": _kind("powerpoint", "application/vnd.ms-powerpoint", "ppt"),
    "audio/mpeg": _kind("audio", "audio/mpeg", "mp3"),
    "audio/mp4": _kind("audio", "audio/mp4", "m4a", "mp4"),
    "audio/aac": _kind("audio", "audio/aac", "aac"),
    "audio/ogg": _kind("audio", "audio/ogg", "ogg", "oga", "opus"),
    "audio/x-wav": _kind("audio", "audio/wav", "wav"),
    "audio/x-flac": _kind("audio", "audio/flac", "flac"),
    "video/mp4": _kind("video", "video/mp4", "mp4", "m4v"),
    "video/x-m4v": _kind("video", "video/mp4", "m4v", "mp4"),
    "video/quicktime": _kind("video", "video/quicktime", "mov"),
    "video/webm": _kind("video", "video/webm", "webm"),
    "video/x-matroska": _kind("video", "video/x-matroska", "mkv"),
    "image/png": _kind("image", "image/png", "png"),
    "image/jpeg": _kind("image", "image/jpeg", "jpg", "jpeg"),
    "image/gif": _kind("image", "image/gif", "gif"),
    "image/webp": _kind("image", "image/webp", "webp"),
}
ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.zip,.mp3,.m4a,.aac,.ogg,.wav,.flac,.mp4,.m4v,.mov,.webm,.mkv,.png,.jpg,.jpeg,.gif,.webp"  # noqa: E501
KIND_NAMES = {
    "pdf": "PDF", "word": "Word", "excel": "Excel", "powerpoint": "PowerPoint", "zip": "ZIP",
    "audio": _l("Audio"), "video": _l("Video"), "image": _l("Image"),
}  # fmt: skip


def _refuse(message) -> ServiceError:
    return ServiceError(message, field="file")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower()


def _zip_kind(data: bytes) -> Kind:
    """A ZIP archive's kind (an Office file or a plain archive), refused when it would expand
    past the limits: checked from its directory before anything is unpacked."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise _refuse(_l("This archive is damaged.")) from None
    expanded = sum(entry.file_size for entry in entries)
    if (
        len(entries) > ZIP_MAX_ENTRIES
        or expanded > ZIP_MAX_EXPANDED
        or expanded > ZIP_MAX_RATIO * max(len(data), 1)
    ):
        raise _refuse(_l("This archive expands far beyond its size (a ZIP bomb?): not accepted."))
    names = [entry.filename for entry in entries]
    if "[Content_Types].xml" in names:
        for prefix, kind in OOXML.items():
            if any(name.startswith(prefix) for name in names):
                return kind
    return ZIP


def detect(data: bytes, name: str) -> Kind:
    """The upload's kind, from its bytes; its name's extension must agree."""
    if not data:
        raise _refuse(_l("The file is empty."))
    if _looks_like_svg(data):
        raise _refuse(
            _l("SVG files can carry scripts and are not accepted: upload a PNG or a PDF.")
        )
    guessed = filetype.guess(data)
    mime = guessed.mime if guessed else ""
    if mime in ("application/zip", *(k.content_type for k in OOXML.values())):
        kind = _zip_kind(data)
    elif mime in BY_MIME:
        kind = BY_MIME[mime]
    else:
        raise _refuse(
            _l("This kind of file is not accepted. Upload a PDF, an Office document, a ZIP, "
               "audio, video or an image.")
        )  # fmt: skip
    if kind.name == "image":
        try:
            images.check_image(data)
        except images.BadImage as error:
            message = _l("That image has too many pixels.") if error.too_large else None
            raise _refuse(message or images.wrong_type_reason()) from None
    extension = PurePosixPath(name.lower()).suffix.lstrip(".")
    if extension and extension not in kind.extensions:
        raise _refuse(
            _l("The name says .%(ext)s but the file is %(kind)s: rename it or upload the "
               "right file.", ext=extension, kind=KIND_NAMES[kind.name])
        )  # fmt: skip
    return kind
