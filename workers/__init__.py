"""Background work: the Celery app (workers.app), its beat schedule and thin tasks.

`init_app(app)` (called by the app factory) binds Celery to the Flask config, installs the job
dispatcher (a transactional job outbox when a broker is configured, inline otherwise), registers
the health probes, the `unread_notifications` template value and the `flask workers` CLI.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from payments import notices  # noqa: F401 - registers the money notices' jobs
    from planet.notifications import handlers  # noqa: F401 - registers jobs
    from workers import app as celery_app
    from workers import cli, digests, health, metrics, relay, tasks  # noqa: F401

    celery_app.bind(app)
    app.extensions["planet_job_outbox"] = not app.config.get("CELERY_ALWAYS_EAGER")
    app.extensions["planet_dispatcher"] = relay.dispatch
    health.init_app(app)
    metrics.init_app(app)
    cli.init_app(app)
    app.context_processor(_unread_notifications)


def _unread_notifications():
    from flask_login import current_user

    from planet.notifications.services import badge

    if not getattr(current_user, "is_authenticated", False):
        return {"unread_notifications": ""}
    return {"unread_notifications": badge(current_user.unread_notifications)}
