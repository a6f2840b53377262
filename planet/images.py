"""The one image check for every upload (avatars, planet covers, topic and check-in images).

`check_image` reads only the header before anything is decoded: the format must be one we
accept and the declared canvas at most `MAX_IMAGE_PIXELS` (a small file declaring a huge canvas,
a decompression bomb, is refused without being decoded). Pillow's own bomb guard is kept on,
its warning turned into a refusal, and the file is verified for structural damage.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

from flask import current_app, has_app_context
from PIL import Image, UnidentifiedImageError

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
