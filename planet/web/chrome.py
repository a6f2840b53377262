"""The chrome around every page (templates/base.html): static file URLs and the top bar.

The top bar is a cached fragment keyed by what it shows (the viewer's name, the unread count,
which areas exist); its CSRF token is a slot filled in per request. Static file URLs are built
once per app, file and script root.
"""

from __future__ import annotations

import functools

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from planet import i18n
from planet.web.anoncache import rendering_for_cache
from planet.web.forms import new_request_key
from planet.web.fragments import render_fragment
from planet.web.sessions import csrf_token


def _static_url(filename: str, script_root: str) -> str:
    return url_for("static", filename=filename)


def static_url(filename: str) -> str:
    return current_app.extensions["planet_static_urls"](filename, request.script_root)


def topbar(unread_notifications=0) -> Markup:
    user = current_user._get_current_object()
    endpoints = current_app.view_functions
    signed_in = user.is_authenticated
    return render_fragment(
        "base/_topbar.html",
        "topbar",
        user.display_name if signed_in else None,
        str(unread_notifications) if signed_in and unread_notifications else "",
        "messages.inbox" in endpoints,
        "notifications.index" in endpoints,
        "payments.my_memberships" in endpoints,
        str(get_locale()),
        # A page kept for every visitor carries no token: the form fetches one when sent.
        shared := rendering_for_cache(),
        csrf="" if shared else csrf_token(),
    )


def init_app(app: Flask) -> None:
    app.extensions["planet_static_urls"] = functools.lru_cache(maxsize=256)(_static_url)
    app.add_template_global(static_url)
    app.add_template_global(topbar)
    app.add_template_global(new_request_key)
    app.add_template_global(i18n.colon)
    app.add_template_global(i18n.parens)
