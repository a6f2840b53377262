"""The member reading pages (timeline, topic page, tag and author lists) rendered once per
*standing class* and shared by every viewer of that class, without time-based staleness.

Key: the endpoint, path and query, the viewer's standing class as the policy computes it
(`policy.standing_class`: state, role, grace, trial, muted, platform admin), the locale, the
time zone, the script root, and the planet's `content_version`, which the database bumps in
the same transaction as every write a reading page shows (planet/planets/content_version.py).
A write is therefore seen by the very next request, in every process.

What a page holds that is personal is handled three ways:

* **Holes**, re-rendered for each request: the top bar (name, unread badge), the planet's
  tabs with their waiting counts, and the community strip (the invitation to introduce
  oneself, the countdown), placed in the templates with `hole(name)`, whose function renders
  them in the page and again on each hit; and the CSRF token, swapped for a placeholder.
  A hole filled for a viewer is kept for their next hits (`kept_hole`) while everything it
  was made from is unchanged: the rows the front's statement loaded for them (their session,
  user, membership, the planet with its version, its owner; `remember_viewer_state`), their
  cookies and languages, the minute, and the short-lived values it read
  (planet/web/shortcache.py). A hole that ran SQL (an admin's waiting counts) is not kept.
* **Bypass**: the view names (`note`) the people whose items the page shows (authors, asked
  guests) and the items a viewer can like. A viewer who is one of those people, or who liked
  one of those items, gets the page rendered for them, and such a render is never stored:
  the stored page is always the one a viewer with no stake in it sees.
* **Never cached**: a render with flashed messages, a planet with leak protection's
  watermark (the viewer's name is drawn on the page), a view that calls `note(shared=False)`,
  a page with a one-time request key, and any status but 200.

Access is still decided per request: the view resolves the planet and the viewer's right to
read it before calling `serve`, and the standing class is part of the key, so a page is only
served to a viewer the policy treats exactly as the one it was rendered for.

Hits of the pages an area registers are answered in front of the app, with the same key,
bypass, holes and CSRF token (planet/web/pagefront.py); `serve` leaves each stored entry in
the environ (`STORED`) for the front to keep the headers the app sent with it.

The store is a per-process LRU of PAGE_CACHE_SIZE entries (0 turns the cache off); a Redis
store was measured against it in bench/web/RESULTS.md. Responses say `X-Page-Cache: hit`,
`miss` (rendered and stored), or `bypass`.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, g, make_response, request
from flask import session as browser_session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.engine import Engine

from planet import policy
from planet.web import shortcache
from planet.web.bounded import put_newest
from planet.web.sessions import csrf_token

_TAG = secrets.token_hex(8)  # unguessable, so no user text can open or close a hole
_HOLE = re.compile(f"<!--hole{_TAG}:([a-z]+:[a-z_.]*)-->.*?<!--/hole{_TAG}-->", re.S)
_OPEN = re.compile(f"<!--hole{_TAG}:([a-z]+):([a-z_.]*)-->")
_MARKS = re.compile(f"<!--/?hole{_TAG}[^>]*-->")
_CSRF_SLOT = f"planetcsrf{_TAG}"
_PART = re.compile(f"<!--hole{_TAG}:([a-z]+):([a-z_.]*)-->|{_CSRF_SLOT}")
HEADER = "X-Page-Cache"
STORED = "planet.page_cache_stored"
"""The environ key under which `serve` leaves (key, entry) of the page it has just stored, for
the front to add the headers the app sent."""


HANDED_OVER_PER_ENTRY = 8
"""How many viewers' hand-overs the store remembers per entry it can hold."""
HOLES_KEPT_PER_ENTRY = 4
"""How many filled holes the store keeps per entry it can hold."""

HoleFunction = Callable[[Mapping, str], str]

HOLES: dict[str, HoleFunction] = {}
"""Each hole's HTML from the template's values (`planet`, the context processors' values)
and the hole's `arg`: the same function renders it in the page (`hole`) and on a hit.
Registered by the area that owns it (`register_hole`): the top bar here on the floor, the
tabs by planets, the community strip by engagement."""
SAME_ON_EVERY_PAGE: set[str] = set()
"""The holes that read nothing of the request's page but their `arg` (the top bar, the
planet header): one kept copy serves the viewer's every page of the planet."""


def register_hole(name: str, function: HoleFunction, *, same_on_every_page=False) -> None:
    HOLES[name] = function
    if same_on_every_page:
        SAME_ON_EVERY_PAGE.add(name)
    else:
        SAME_ON_EVERY_PAGE.discard(name)


def _topbar(values: Mapping, arg: str) -> str:
    from planet.web.chrome import topbar

    return topbar(values["unread_notifications"])


register_hole("topbar", _topbar, same_on_every_page=True)


@dataclass
class Notes:
    """What the view tells the cache about the page it rendered."""

    people: set[int] = field(default_factory=set)
    topic_ids: set[int] = field(default_factory=set)
    comment_ids: set[int] = field(default_factory=set)
    liked: bool = False
    shared: bool = True


Part = bytes | tuple[str, str] | None
"""A piece of a stored page: its bytes, a hole (name, arg), or None for the CSRF token."""


@dataclass(frozen=True)
class Entry:
    parts: tuple[Part, ...]  # the page split at its holes and CSRF tokens, encoded once
    content_type: str
    people: frozenset[int]
    topic_ids: tuple[int, ...]
    comment_ids: tuple[int, ...]
    sent_headers: tuple[tuple[str, str], ...] | None = None
    """The headers the app sent with the page, but those made per response (set once it
    has): what the front answers a hit with."""


@dataclass(frozen=True)
class KeptHole:
    html: bytes  # the CSRF token swapped for the slot
    reads: tuple[shortcache.Read, ...]


class Store:
    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.kept_holes: OrderedDict[tuple, KeptHole] = OrderedDict()
        self.lock = threading.Lock()
        self.front_hits = 0
        """Hits the front answered (the tests' and the benchmark's witness)."""
        self.latest: dict[tuple, Entry] = {}
        """The last page stored per endpoint, path and query (whatever the class or version):
        its likeable ids are asked about before the entry is known (`likes_hint`)."""
        self.handed_over: OrderedDict[tuple, Entry] = OrderedDict()
        """(session cookie, endpoint, path, query) -> the latest page when the front last
        handed that viewer's request to the app: until another is stored, the front does not
        load them again to learn the same (planet/web/pagefront.py)."""

    def get(self, key: tuple) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def hand_over(self, viewer_page: tuple, latest: Entry) -> None:
        with self.lock:
            put_newest(self.handed_over, viewer_page, latest, HANDED_OVER_PER_ENTRY * self.size)

    def kept_hole(self, key: tuple) -> KeptHole | None:
        with self.lock:
            return self.kept_holes.get(key)

    def keep_hole(self, key: tuple, kept: KeptHole) -> None:
        with self.lock:
            put_newest(self.kept_holes, key, kept, HOLES_KEPT_PER_ENTRY * self.size)

    def put(self, key: tuple, entry: Entry) -> None:
        with self.lock:
            self.latest[key[:3]] = entry
            if len(self.latest) > self.size:
                self.latest.pop(next(iter(self.latest)))
            put_newest(self.entries, key, entry, self.size)


def note(
    *,
    people=(),
    topic_ids=(),
    comment_ids=(),
    liked: bool = False,
    shared: bool = True,
) -> None:
    """Called by a cached view while it renders: whose items the page shows, which items
    can be liked, whether the viewer liked any of them, and whether the page can be shared
    at all. Several calls add up."""
    notes = g.get("planet_page_notes")
    if notes is None:
        return
    notes.people.update(p for p in people if p is not None)
    notes.topic_ids.update(topic_ids)
    notes.comment_ids.update(comment_ids)
    notes.liked = notes.liked or bool(liked)
    notes.shared = notes.shared and shared


def likes_hint() -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The ids this request's page most likely holds (those of the last page stored for its
    path), so the caller can ask whether the viewer liked any of them in the statement that
    loads the viewer; it hands the answer back with `hint_liked`."""
    store: Store | None = current_app.extensions.get("planet_page_cache")
    if store is None:
        return None
    latest = store.latest.get((request.endpoint, request.path, request.query_string))
    return None if latest is None else (latest.topic_ids, latest.comment_ids)


def hint_liked(ids: tuple[tuple[int, ...], tuple[int, ...]], liked: bool) -> None:
    g.planet_liked_hint = (ids, liked)


def rendering_for_page_cache() -> bool:
    return g.get("planet_page_notes") is not None


@pass_context
def hole(context, name: str, arg: str = "") -> Markup:
    """A part of the page rendered again for each viewer on a hit (`arg`: [a-z_.]*, handed
    to the hole's function, e.g. the active tab), marked as such while the page is rendered
    for the cache."""
    if name not in HOLES or not re.fullmatch(r"[a-z_.]*", arg):
        raise ValueError(f"unknown hole {name!r} or bad argument {arg!r}")
    html = Markup(HOLES[name](context.get_all(), arg))  # noqa: S704 - Markup from templates
    if not rendering_for_page_cache():
        return html
    return Markup(f"<!--hole{_TAG}:{name}:{arg}-->{html}<!--/hole{_TAG}-->")  # noqa: S704


LikedAny = Callable[[int, tuple[int, ...], tuple[int, ...]], bool]
"""(viewer id, topic ids, comment ids) -> did the viewer like any of them?"""


def serve(planet, render: Callable[[], object], liked_any: LikedAny) -> Response:
    """The page `render()` makes for this viewer, shared with their standing class when it
    holds nothing personal to them. The caller has already checked that they may read it;
    `liked_any` is asked on a hit when the page shows items that can be liked."""
    store: Store | None = current_app.extensions.get("planet_page_cache")
    if store is None or not eligible(planet):
        return _marked(make_response(render()), "bypass")
    key = page_key(planet)
    entry = store.get(key)
    viewer = current_user.id
    if entry is not None:
        if shared_with_viewer(entry, liked_any):
            if entry.sent_headers is None:  # the front answers the next hits
                request.environ[STORED] = (key, entry)
            return _marked(filled(planet, entry), "hit")
        return _marked(make_response(render()), "bypass")
    g.planet_page_notes = notes = Notes()
    try:
        response = make_response(render())
    finally:
        g.planet_page_notes = None
    entry = _entry(response, notes) if _storable(response, notes, viewer) else None
    if not response.direct_passthrough:  # the viewer's page, as a hit would give it
        response.set_data(_MARKS.sub("", response.get_data(as_text=True)))
    if entry is None:
        return _marked(response, "bypass")
    store.put(key, entry)
    request.environ[STORED] = (key, entry)
    return _marked(response, "miss")


def eligible(planet) -> bool:
    return (
        request.method == "GET"
        and current_user.is_authenticated
        and not browser_session.get("_flashes")
        and not planet.watermark
    )


def page_key(planet) -> tuple:
    return (
        request.endpoint,
        request.path,
        request.query_string,
        policy.standing_class(current_user, planet),
        str(get_locale()),
        str(get_timezone()),
        request.script_root,
        planet.id,
        planet.content_version,
    )


def shared_with_viewer(entry: Entry, liked_any: LikedAny) -> bool:
    """May this viewer take the stored page? Not if it shows their items or their likes."""
    viewer = current_user.id
    return viewer not in entry.people and not _liked(viewer, entry, liked_any)


def _liked(viewer: int, entry: Entry, liked_any: LikedAny) -> bool:
    if not entry.topic_ids and not entry.comment_ids:
        return False
    hinted = hinted_liked(entry.topic_ids, entry.comment_ids)
    if hinted is not None:
        return hinted
    return liked_any(viewer, entry.topic_ids, entry.comment_ids)


def hinted_liked(topic_ids: tuple[int, ...], comment_ids: tuple[int, ...]) -> bool | None:
    """Whether the viewer liked any of exactly these items, if the statement that loaded them
    already asked (`hint_liked`); None when it asked about other items, or did not."""
    hint = g.get("planet_liked_hint")
    if hint is not None and hint[0] == (tuple(topic_ids), tuple(comment_ids)):
        return hint[1]
    return None


def _storable(response: Response, notes: Notes, viewer: int) -> bool:
    if response.status_code != 200 or response.direct_passthrough:
        return False
    if not notes.shared or notes.liked or viewer in notes.people:
        return False
    return 'name="request_key"' not in response.get_data(as_text=True)


def _entry(response: Response, notes: Notes) -> Entry | None:
    page = response.get_data(as_text=True)
    body, holes = _HOLE.subn(lambda m: f"<!--hole{_TAG}:{m.group(1)}-->", page)
    if holes != len(_OPEN.findall(page)) or f"<!--/hole{_TAG}" in body:
        return None  # a hole left open would keep this viewer's part of the page
    body = body.replace(generate_csrf(), _CSRF_SLOT)
    return Entry(
        _parts(body),
        response.content_type,
        frozenset(notes.people),
        tuple(sorted(notes.topic_ids)),
        tuple(sorted(notes.comment_ids)),
    )


def _parts(body: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    start = 0
    for match in _PART.finditer(body):
        parts.append(body[start : match.start()].encode())
        parts.append(match.groups() if match.group(1) else None)
        start = match.end()
    parts.append(body[start:].encode())
    return tuple(parts)


def filled(planet, entry: Entry) -> Response:
    token = csrf_token().encode()
    viewer = _viewer_key(planet)
    values: dict | None = None

    def fill(name: str, arg: str) -> bytes:
        nonlocal values
        if values is None:  # render_template's first step, once for every hole
            values = {"planet": planet}
            current_app.update_template_context(values)
        return str(HOLES[name](values, arg)).encode()

    page = []
    for part in entry.parts:
        if part is None:
            page.append(token)
        elif isinstance(part, tuple):
            page.append(_hole(part, viewer, token, fill))
        else:
            page.append(part)
    return Response(b"".join(page), 200, content_type=entry.content_type)


def remember_viewer_state(row: tuple) -> None:
    """Called by a loader with the row it read for this request's viewer and planet
    (session, user, membership, planet with its version, owner): the holes filled for this
    viewer are kept while these values stay the same (`filled`)."""
    try:
        hash(row)
    except TypeError:  # an array column's list
        row = tuple(tuple(v) if isinstance(v, list) else v for v in row)
    g.planet_viewer_state = row


def _viewer_key(planet) -> tuple | None:
    state = g.get("planet_viewer_state")
    if state is None:
        return None
    headers = request.headers
    return (
        state,
        headers.get("Cookie"),
        headers.get("Accept-Language"),
        request.host,
        request.script_root,
        str(get_locale()),
        str(get_timezone()),
        policy.standing_class(current_user, planet),
        int(time.time() // 60),  # countdowns and dates are shown to the minute
    )


def _hole(part: tuple[str, str], viewer: tuple | None, token: bytes, fill) -> bytes:
    """A hole's HTML for this request: kept from the viewer's last hit while nothing it was
    made from has changed, else filled (and kept when it read no SQL)."""
    store: Store | None = current_app.extensions.get("planet_page_cache")
    if viewer is None or store is None:
        return fill(*part)
    page = None if part[0] in SAME_ON_EVERY_PAGE else (request.endpoint, request.full_path)
    key = (part, page, viewer)
    kept = store.kept_hole(key)
    if kept is not None and shortcache.still_fresh(kept.reads):
        return kept.html.replace(_CSRF_SLOT_BYTES, token)
    statements = [0]
    counter = _statements.set(statements)
    try:
        with shortcache.recording() as reads:
            html = fill(*part)
    finally:
        _statements.reset(counter)
    if not statements[0]:
        store.keep_hole(key, KeptHole(html.replace(token, _CSRF_SLOT_BYTES), tuple(reads)))
    return html


_CSRF_SLOT_BYTES = _CSRF_SLOT.encode()
_statements: ContextVar[list[int] | None] = ContextVar("planet_hole_statements", default=None)


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_args) -> None:
    counter = _statements.get()
    if counter is not None:
        counter[0] += 1


def _marked(response: Response, outcome: str) -> Response:
    response.headers[HEADER] = outcome
    return response


def init_app(app: Flask) -> None:
    size = int(app.config.get("PAGE_CACHE_SIZE", 0))
    if size > 0:
        app.extensions["planet_page_cache"] = Store(size)
    else:
        app.extensions.pop("planet_page_cache", None)
    app.add_template_global(hole)
