"""User text: Markdown rendered to HTML and sanitized (DESIGN principle 9)."""

from __future__ import annotations

import html
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
    return shorten_plain(stripped, limit)


def shorten_plain(text: str, limit: int) -> str:
    """Plain text of at most `limit` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def shorten_markdown(text: str, limit: int) -> tuple[str, bool]:
    """At most `limit` characters of Markdown, cut at a paragraph, line or word break in the
    last half when there is one; and whether anything was cut (then ending in "…")."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text, False
    head = text[:limit]
    for separator in ("\n\n", "\n", " "):
        if (at := head.rfind(separator)) > limit // 2:
            head = head[:at]
            break
    return head.rstrip() + " …", True


_BLOCK_END = re.compile(r"</(p|h[1-6]|pre|blockquote|ul|ol|table|tr)>|<br ?/?>|<hr ?/?>")
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def markdown_text(text: str) -> str:
    """Markdown as plain text (an email's text part): paragraphs and list items on their own
    lines, a link as `words (address)`, no markup."""
    rendered = _markdown.render(text or "")
    rendered = _LINK.sub(lambda m: m.group(2) if m.group(1) == m.group(2)
                         else f"{m.group(2)} ({m.group(1)})", rendered)  # fmt: skip
    rendered = _BLOCK_END.sub(lambda m: m.group(0) + "\n", rendered.replace("<li>", "<li>- "))
    plain = html.unescape(nh3.clean(rendered, tags=set()))
    lines = (line.rstrip() for line in plain.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------- hashtags and @mentions

# A hashtag is `#name` (ending at whitespace or punctuation) or `#name#` (the Weibo/知识星球
# style, which may be followed directly by more text). It must not follow a letter, digit, `/`,
# `&` or `#`, so URL fragments, entities and `C#` stay text. Names are 1-40 characters.
_TAG_STOP = r"\s#@,.;:!?'\"()\[\]{}<>，。；：！？、（）【】《》“”‘’…·|\\/`*~=+"
HASHTAG = re.compile(rf"(?<![0-9A-Za-z_/&#])#([^{_TAG_STOP}]{{1,40}})(#?)")
MAX_HASHTAG_LENGTH = 40
_MENTION_START = re.compile(r"(?<![0-9A-Za-z_.])@")
_MENTION_BOUNDARY = re.compile(rf"[{_TAG_STOP}]")
MAX_NAME_LENGTH = 60


def normalize_hashtag(name: str) -> str:
    """The stored form of a tag: trimmed and case-folded (`Python` and `python` are one tag)."""
    return name.strip().casefold()[:MAX_HASHTAG_LENGTH]


def _is_tag_name(name: str) -> bool:
    return bool(name) and not name.isdigit()


def _text_tokens(text: str):
    """Yield the Markdown text tokens of `text` that are not code and not inside a link."""
    for block in _markdown.parse(text or ""):
        if block.type != "inline" or not block.children:
            continue
        depth = 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth -= 1
            elif token.type == "text" and depth == 0:
                yield token


def extract_hashtags(text: str) -> list[str]:
    """Normalized hashtag names written in `text` (outside code and links), in order, unique."""
    seen: dict[str, None] = {}
    for token in _text_tokens(text):
        for match in HASHTAG.finditer(token.content):
            if _is_tag_name(match.group(1)):
                seen.setdefault(normalize_hashtag(match.group(1)), None)
    return list(seen)


def mention_candidates(text: str) -> set[str]:
    """Possible display names after each `@` (names may contain spaces: every prefix that ends
    at whitespace, punctuation or the end of the text is a candidate)."""
    candidates: set[str] = set()
    for token in _text_tokens(text):
        content = token.content
        for match in _MENTION_START.finditer(content):
            rest = content[match.end() : match.end() + MAX_NAME_LENGTH]
            for boundary in _MENTION_BOUNDARY.finditer(rest):
                if boundary.start() > 0:
                    candidates.add(rest[: boundary.start()])
            if rest:
                candidates.add(rest)
            if len(candidates) > 200:
                return candidates
    return {name for name in candidates if name.strip() == name and name}


def _link_hashtags(state) -> None:
    tag_url = state.env.get("tag_url") if isinstance(state.env, dict) else None
    if tag_url is None:
        return
    from markdown_it.token import Token

    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, depth = [], 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth -= 1
            if token.type != "text" or depth or "#" not in token.content:
                children.append(token)
                continue
            position = 0
            for match in HASHTAG.finditer(token.content):
                if not _is_tag_name(match.group(1)):
                    continue
                if match.start() > position:
                    children.append(_text(Token, token.content[position : match.start()]))
                link = Token("link_open", "a", 1)
                link.attrs = {
                    "href": tag_url(normalize_hashtag(match.group(1))),
                    "class": "hashtag",
                }
                children += [link, _text(Token, match.group(0)), Token("link_close", "a", -1)]
                position = match.end()
            if position < len(token.content):
                children.append(_text(Token, token.content[position:]))
        block.children = children


def _text(token_class, content: str):
    token = token_class("text", "", 0)
    token.content = content
    return token


_markdown.core.ruler.push("planet_hashtags", _link_hashtags)
ALLOWED_ATTRIBUTES["a"] = {"href", "title", "class"}


def render_content(text: str, tag_url=None) -> str:
    """Like render_markdown, with each #hashtag linked to `tag_url(name)` when given."""
    return sanitize_html(_markdown.render(text or "", {"tag_url": tag_url} if tag_url else {}))


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """A cell for a CSV file someone opens in a spreadsheet: a value that would start a formula
    (`=cmd|' /C calc'!A0`, `+`, `-`, `@`, a tab or a carriage return) gets a leading
    apostrophe, so it is shown as text (OWASP's advice on CSV injection)."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
