"""User text: Markdown rendered to HTML and sanitized (DESIGN principle 9)."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "span": {"class"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """Keep a safe subset of HTML; scripts, handlers, styles and odd URL schemes are removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
    )


def render_markdown(text: str) -> str:
    """Markdown to sanitized HTML. Raw HTML in the source is escaped, then the output cleaned."""
    return sanitize_html(_markdown.render(text or ""))


_WHITESPACE = re.compile(r"\s+")


def plain_excerpt(text: str, limit: int = 140) -> str:
    """A short plain-text excerpt of Markdown (for cards, meta tags and emails)."""
    stripped = nh3.clean(_markdown.render(text or ""), tags=set())
    stripped = _WHITESPACE.sub(" ", stripped).strip()
    stripped = stripped.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return stripped if len(stripped) <= limit else stripped[: limit - 1].rstrip() + "…"
