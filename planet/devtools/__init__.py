"""Development-only tools: the SMTP catcher (mailcatcher.py) and a page listing caught mail.

`init_app` registers the `devmail` blueprint only when PLANET_ENV is "development" and the app
is not under test; production never exposes it.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    if app.config.get("PLANET_ENV") != "development" or app.testing:
        return
    from planet.devtools.views import bp

    if "devmail" not in app.blueprints:
        app.register_blueprint(bp)
