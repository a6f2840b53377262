"""The one normaliser for every `next` / return parameter: a path on this site, or the fallback.

Browsers forgive a lot on the way from an attribute to a URL: they drop tabs and newlines, read
a backslash as a slash and decode percent-escapes before deciding where `//host` points. So the
target is refused when it holds any control character, whitespace or backslash (raw or
percent-encoded), when it names a scheme or a host, or when it does not start with exactly one
slash; unicode look-alikes of the slash are refused too.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import redirect, request, url_for

MAX_LENGTH = 2000
_SLASH_LOOKALIKES = "\u2044\u2215\u29f8\uff0f\u2571\u244a\ufe68\uff3c\u29f5\u29f9"


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """`target` when it is a path on this site, else `fallback` (the home page by default)."""
    fallback = fallback or url_for("web.home")
    if not target or len(target) > MAX_LENGTH or not _is_local_path(target):
        return fallback
    return target


def _is_local_path(target: str) -> bool:
    for candidate in (target, unquote(target), unquote(unquote(target))):
        if any(_is_forbidden(ch) for ch in candidate):
            return False
        if not candidate.startswith("/") or candidate.startswith("//"):
            return False
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
    return True


def _is_forbidden(ch: str) -> bool:
    if ch == "\\" or ch in _SLASH_LOOKALIKES or ch.isspace():
        return True
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def redirect_back(fallback: str):
    """Redirect to the request's `next` (form first, then query string) when it is safe."""
    return redirect(safe_next(request.form.get("next") or request.args.get("next"), fallback))
