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


class _LazyUnread:
    """Counted only when a template shows it (one indexed, capped count)."""

    def __init__(self, user_id: int):
        self.user_id = user_id
        self._value: int | None = None

    def _count(self) -> int:
        if self._value is None:
            from planet.notifications.services import unread_count

            self._value = unread_count(self.user_id)
        return self._value

    def __bool__(self) -> bool:
        return self._count() > 0

    def __int__(self) -> int:
        return self._count()

    def __str__(self) -> str:
        from planet.notifications.services import UNREAD_CAP

        count = self._count()
        return f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count)

    __html__ = __str__


def _unread_notifications():
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        return {"unread_notifications": 0}
    return {"unread_notifications": _LazyUnread(current_user.id)}
