"""Links inside one planet, built with `url_for` once per endpoint rather than once per card.

A timeline page links each of its ~20 cards to the topic, its comments, the author, the like
form and the images: ~140 `url_for` calls, each resolving the endpoint and walking Werkzeug's
URL map. `PlanetLinks` asks `url_for` once per endpoint with a marker value, keeps the text
before and after the marker, and fills in ids by concatenation. The result is the same URL.
It is cached per app for (slug, script root) and is hashable, so a cached card fragment can
name the links it was rendered with in its key.

`external_url` builds the absolute links that leave the site (emails, notifications), on
BASE_URL, the same in a request and in a worker. Nothing else builds a link by hand.
"""

from __future__ import annotations

import functools
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, request, url_for

_INT_MARKER = 9_876_543_210
_KEY_MARKER = "planet-link-key-marker"

# name -> (endpoint, the URL variable that varies)
ENDPOINTS = {
    "topic": ("content.topic", "topic_id"),
    "author": ("content.author", "user_id"),
    "attachment": ("content.attachment", "key"),
    "like_topic": ("content.like", "topic_id"),
    "unlike_topic": ("content.unlike", "topic_id"),
    "like_comment": ("content.like", "comment_id"),
    "unlike_comment": ("content.unlike", "comment_id"),
    "comment_on": ("content.comment", "topic_id"),
    "edit_comment": ("content.edit_comment", "comment_id"),
    "delete_comment": ("content.delete_comment", "comment_id"),
    "report_comment": ("content.report", "comment_id"),
}


class PlanetLinks:
    __slots__ = ("slug", "script_root", "_parts", "_pages")

    def __init__(self, slug: str, script_root: str, parts: dict[str, tuple[str, str]]):
        self.slug = slug
        self.script_root = script_root
        self._parts = parts
        self._pages: dict[str, str] = {}

    def __eq__(self, other) -> bool:
        return isinstance(other, PlanetLinks) and (self.slug, self.script_root) == (
            other.slug,
            other.script_root,
        )

    def __hash__(self) -> int:
        return hash((self.slug, self.script_root))

    def __repr__(self) -> str:
        return f"<PlanetLinks {self.script_root}/p/{self.slug}>"

    def _url(self, name: str, value) -> str:
        before, after = self._parts[name]
        return f"{before}{value}{after}"

    def page(self, endpoint: str) -> str:
        """A page of the planet that takes only its slug (the header's tabs, the landing)."""
        url = self._pages.get(endpoint)
        if url is None:
            url = self._pages[endpoint] = url_for(endpoint, slug=self.slug)
        return url

    def site_page(self, endpoint: str, anchor: str | None = None) -> str:
        """A page outside the planet that takes no arguments (the viewer's memberships and
        earnings), as its header links to it."""
        key = f"{endpoint}#{anchor}"
        url = self._pages.get(key)
        if url is None:
            url = self._pages[key] = url_for(endpoint, _anchor=anchor)
        return url

    def topic(self, topic_id: int, anchor: str | None = None) -> str:
        url = self._url("topic", int(topic_id))
        return f"{url}#{anchor}" if anchor else url

    def author(self, user_id: int) -> str:
        return self._url("author", int(user_id))

    def attachment(self, key: str) -> str:
        return self._url("attachment", quote(str(key), safe=""))

    def like(self, liked: bool, topic_id: int | None = None, comment_id: int | None = None):
        """The like form's action: unlike when already liked."""
        verb = "unlike" if liked else "like"
        if topic_id is not None:
            return self._url(f"{verb}_topic", int(topic_id))
        return self._url(f"{verb}_comment", int(comment_id))

    def comment_on(self, topic_id: int) -> str:
        return self._url("comment_on", int(topic_id))

    def edit_comment(self, comment_id: int) -> str:
        return self._url("edit_comment", int(comment_id))

    def delete_comment(self, comment_id: int) -> str:
        return self._url("delete_comment", int(comment_id))

    def report_comment(self, comment_id: int) -> str:
        return self._url("report_comment", int(comment_id))


def _build(slug: str, script_root: str) -> PlanetLinks:
    parts = {}
    for name, (endpoint, variable) in ENDPOINTS.items():
        marker = _KEY_MARKER if variable == "key" else _INT_MARKER
        url = url_for(endpoint, slug=slug, **{variable: marker})
        before, found, after = url.partition(str(marker))
        if not found:
            raise RuntimeError(f"cannot template the URL of {endpoint}: {url}")
        parts[name] = (before, after)
    return PlanetLinks(slug, script_root, parts)


def planet_links(planet) -> PlanetLinks:
    """The links of `planet` (an object with a `slug`) for this request."""
    return current_app.extensions["planet_links"](planet.slug, request.script_root)


def external_url(endpoint: str, *, _anchor: str | None = None, **values) -> str:
    """An absolute URL of `endpoint` on BASE_URL, as `url_for(endpoint, _external=True)` gives
    on the public site, with or without a request (a worker has none, and a request may come in
    on another host name than the one mails should point at)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{quote(_anchor)}" if _anchor else url


def init_app(app: Flask) -> None:
    app.extensions["planet_links"] = functools.lru_cache(maxsize=512)(_build)
    app.add_template_global(planet_links)
