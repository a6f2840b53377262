"""Planet: a paid-membership community platform.

This package is the platform (DESIGN.md calls it platform/; a top-level package of that name
would shadow Python's standard `platform` module).
"""

from __future__ import annotations

import importlib

from flask import Flask

from planet import logs, metrics, storage
from planet.config import ROOT, check_production_safety, load_config
from planet.web import converters
from planet.web.templating import PlanetEnvironment

# Each area's blueprint, as "module:attribute". The app factory may register payments' and
# workers' blueprints; planet never imports them at module level (DESIGN: imports point one way).
BLUEPRINTS = [
    "planet.web.views:bp",
    "planet.accounts.views:bp",
    "planet.discovery.views:bp",
    "planet.planets.views:bp",
    "planet.content.views:bp",
    "planet.members.views:bp",
    "planet.messages.views:bp",
    "planet.engagement.views:bp",
    "planet.notifications.views:bp",
    "planet.exports.views:bp",
    "planet.moderation.views:bp",
    "payments.views:bp",
]

# Modules that declare job handlers (planet.jobs): all are imported by the app factory, so
# `jobs.defer` knows every name before the first request.
JOB_HANDLER_MODULES = [
    "planet.accounts.emails",
    "planet.members.imports",
    "planet.members.invitations",
    "planet.notifications.handlers",
    "planet.engagement.insights.activity",
    "planet.engagement.insights.health_snapshot",
    "planet.exports.services",
    "planet.moderation.services",
    "payments.tasks",
    "payments.notices",
]

# Modules whose import registers models, CLI commands, job handlers or signal listeners.
SIDE_EFFECT_MODULES = [
    "planet.accounts.auth",
    "planet.content.rendering",
    "planet.cli",
    "planet.devtools",
    "payments",
    "workers",
]


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.jinja_environment = PlanetEnvironment
    converters.init_app(app)
    app.config.update(load_config())
    if overrides:
        app.config.update(overrides)
    check_production_safety(app.config)
    storage.init_app(app)

    # First: their after-request hooks then run last, after the lifecycle's commit.
    logs.init_app(app)
    _init_extensions(app)
    metrics.init_app(app)
    for dotted in JOB_HANDLER_MODULES + SIDE_EFFECT_MODULES:
        importlib.import_module(dotted)
    for dotted in BLUEPRINTS:
        module_name, attribute = dotted.split(":")
        app.register_blueprint(getattr(importlib.import_module(module_name), attribute))
    for dotted in SIDE_EFFECT_MODULES:
        module = importlib.import_module(dotted)
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)

    from planet import images
    from planet.web import lifecycle

    lifecycle.init_app(app)
    images.init_app(app)
    _trust_proxies(app)  # last: outside every other WSGI layer (the visitors' cache front)
    return app


def _init_extensions(app: Flask) -> None:
    from planet import i18n
    from planet.extensions import babel, csrf, db, limiter, login_manager, migrate
    from planet.web import clock

    i18n.compile_catalogs()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.request_locale,
        timezone_selector=clock.select_timezone,
        default_translation_directories=";".join(i18n.translation_directories()),
    )
    i18n.install_template_gettext(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = None  # sessions are revocable server-side instead
    _import_models()


def _import_models() -> None:
    """Import every model module so metadata (and Alembic) sees the whole schema."""
    for dotted in (
        "planet.accounts.models",
        "planet.planets.models",
        "planet.content.models",
        "planet.content.columns.models",
        "planet.content.drafts.models",
        "planet.content.faq.models",
        "planet.content.library.models",
        "planet.messages.models",
        "planet.engagement.introductions.models",
        "planet.engagement.checkins.models",
        "planet.engagement.homework.models",
        "planet.engagement.points.models",
        "planet.engagement.events.models",
        "planet.engagement.polls.models",
        "planet.engagement.insights.models",
        "planet.notifications.models",
        "planet.members.models",
        "planet.exports.models",
        "payments.models",
        "workers.models",
    ):
        importlib.import_module(dotted)


def _trust_proxies(app: Flask) -> None:
    """Take the client's address, scheme and host from the reverse proxy's headers, trusting
    exactly as many proxies as configured (rate limits and logs need the real address)."""
    hops = {name: app.config[f"PROXY_FIX_X_{name.upper()}"] for name in ("for", "proto", "host")}
    if any(hops.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops["for"], x_proto=hops["proto"], x_host=hops["host"]
        )
