"""The one image check for every upload (avatars, planet covers, topic and check-in images).

`check_image` reads only the header before anything is decoded: the format must be one we
accept and the declared canvas at most `MAX_IMAGE_PIXELS` (a small file declaring a huge canvas,
a decompression bomb, is refused without being decoded). Pillow's own bomb guard is kept on,
its warning turned into a refusal, and the file is verified for structural damage.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFont, UnidentifiedImageError

FORMATS = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
DEFAULT_MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS  # Pillow's guard for any decode we do not route here


class BadImage(ValueError):
    """Not an image we accept; `too_large` when only its declared canvas is at fault."""

    def __init__(self, too_large: bool = False):
        super().__init__("too many pixels" if too_large else "not an accepted image")
        self.too_large = too_large


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return FORMATS[self.format][1]


def max_pixels() -> int:
    if has_app_context():
        return int(current_app.config["MAX_IMAGE_PIXELS"])
    return DEFAULT_MAX_PIXELS


def check_image(data: bytes) -> ImageInfo:
    """Refuse `data` unless it is a PNG, JPEG, WebP or GIF within the pixel limit."""
    if not data:
        raise BadImage()
    limit = max_pixels()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as image:  # lazy: reads the header only
                info = ImageInfo(image.format, *image.size)
                if info.format not in FORMATS or info.width < 1 or info.height < 1:
                    raise BadImage()
                if info.width * info.height > limit:
                    raise BadImage(too_large=True)
                image.verify()
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(too_large=True) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BadImage() from None
    return info


# ---------------------------------------------------------------- limits (server and page)

ACCEPT = "image/png,image/jpeg,image/webp,image/gif"
"""The `accept` of every image input: the formats check_image takes."""


def upload_max_bytes() -> int:
    """The largest image a topic, a check-in or a planet avatar may upload (UPLOAD_MAX_BYTES)."""
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def megabytes(limit: int) -> str:
    """A byte limit as people read it: 5242880 -> "5", 1572864 -> "1.5"."""
    value = limit / (1024 * 1024)
    return f"{value:.1f}".rstrip("0").rstrip(".")


def too_large_reason(limit: int):
    return _l("That image is too large (at most %(mb)s MB).", mb=megabytes(limit))


def wrong_type_reason():
    return _l("Only PNG, JPEG, WebP and GIF images can be uploaded.")


def too_many_reason(count: int):
    return _l("At most %(n)d images.", n=count)


def input_attrs(limit: int, max_files: int = 1) -> dict[str, str]:
    """The attributes of an image input that static/js/uploads.js checks before anything is
    sent (the server checks the same again): the accepted types, the size and count limits,
    and the reasons in the page's language."""
    attrs = {
        "accept": ACCEPT,
        "data-max-bytes": str(limit),
        "data-too-large": str(too_large_reason(limit)),
        "data-wrong-type": str(wrong_type_reason()),
    }
    if max_files > 1:
        attrs["data-max-files"] = str(max_files)
        attrs["data-too-many"] = str(too_many_reason(max_files))
    return attrs


def image_input(limit: int | None = None, max_files: int = 1) -> dict[str, str]:
    """Template global: `{{ field(form.images, **image_input(max_files=9)) }}`; `limit`
    defaults to UPLOAD_MAX_BYTES (an avatar passes its own)."""
    return input_attrs(limit or upload_max_bytes(), max_files)


def image_mb(limit: int | None = None) -> str:
    """Template global: the image limit in MB (UPLOAD_MAX_BYTES unless `limit` is given)."""
    return megabytes(limit or upload_max_bytes())


def init_app(app) -> None:
    """The image inputs' limits for every template (image_input, image_mb)."""
    app.add_template_global(image_input)
    app.add_template_global(image_mb)


# Text drawn on images (the invitation poster, watermarks) needs a font with Chinese glyphs:
# POSTER_FONT, else the first of these found (Debian's fonts-noto-cjk, fonts-wqy-*).
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
log = logging.getLogger(__name__)


@cache
def _font_path(configured: str) -> str | None:
    for candidate in (configured, *FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate
    log.warning("no CJK font found for text on images; set POSTER_FONT")
    return None


def cjk_font(size: int):
    """A font of `size` pixels that draws Chinese (Pillow's own when none is installed)."""
    path = _font_path(current_app.config["POSTER_FONT"] if has_app_context() else "")
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)
