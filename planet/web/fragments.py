"""Rendered HTML fragments (topic cards, comments), cached under everything they show.

A fragment is a macro rendered from its template's module, i.e. without the request's
template context: it sees its arguments and the environment's globals, not `current_user`,
`can()` or the view's variables. Its HTML is therefore a function of the template, the macro,
the arguments, the locale, the time zone and the script root, and that is the cache key.

The arguments are frozen records (planet/content/cards.py) and booleans the view got from the
access policy for this viewer (liked? may like?), so a change to anything a card shows is a
new key; nothing is invalidated by hand, and a cached card is only ever served to a viewer for
whom the view asked the policy and got those same arguments. Values that belong to one
session, such as the CSRF token, are never rendered into the cache: the macro receives a
placeholder (`slots`), and the placeholder is replaced after the cache, per request.

The cache is a per-process LRU (FRAGMENT_CACHE_SIZE entries, 0 to switch it off); it is off
while templates auto-reload (debug), so an edited template shows at once.
"""

from __future__ import annotations

import functools
import secrets

from flask import Flask, current_app, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup, escape

# Unguessable, so no user text can contain one (and letters only, so escaping keeps them).
_PLACEHOLDER_TAG = secrets.token_hex(8)


def _placeholder(name: str) -> str:
    return f"planetslot{_PLACEHOLDER_TAG}{name}"


def _render(template: str, macro: str, args: tuple, slots: tuple[str, ...], *_key) -> Markup:
    module = current_app.jinja_env.get_template(template).module
    placeholders = {name: _placeholder(name) for name in slots}
    # An autoescaped macro returns Markup, which escape() passes through unchanged.
    return escape(getattr(module, macro)(*args, **placeholders))


def render_fragment(template: str, macro: str, *args, **slots) -> Markup:
    """`macro` of `template` called with `args`, cached; each slot's value is filled in after.

    `args` must be hashable and must be all that the macro's output depends on (besides the
    locale, time zone and script root, which are part of the key).
    """
    return render_fragments(template, macro, [args], **slots)


def render_fragments(template: str, macro: str, calls, **slots) -> Markup:
    """`macro` once for each argument tuple in `calls` (a list's cards), joined."""
    renderer = current_app.extensions["planet_fragments"]
    if current_app.jinja_env.auto_reload:
        renderer = _render
    names = tuple(sorted(slots))
    context = (str(get_locale()), str(get_timezone()), request.script_root)
    html = Markup("\n").join(renderer(template, macro, args, names, *context) for args in calls)
    for name, value in slots.items():
        html = html.replace(_placeholder(name), value)  # Markup.replace escapes `value`
    return html


def init_app(app: Flask) -> None:
    size = int(app.config["FRAGMENT_CACHE_SIZE"])
    app.extensions["planet_fragments"] = (
        functools.lru_cache(maxsize=size)(_render) if size > 0 else _render
    )
    app.add_template_global(render_fragment, "fragment")
