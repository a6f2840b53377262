"""The Celery app: `celery -A workers.app worker` / `celery -A workers.app beat`.

Configured from the same environment as the Flask app (planet.config.load_config): the broker is
CELERY_BROKER_URL or REDIS_URL; with neither, the embedded default uses kombu's SQLAlchemy
transport on a SQLite file (a broker that needs no server). Every task runs inside a Flask
application context: in the web process (eager mode) the current one, in a worker process an app
created once per process.
"""

from __future__ import annotations

import logging
from pathlib import Path

from celery import Celery, Task
from flask import Flask, has_app_context
from kombu import Queue
from kombu import pools as kombu_pools

from planet.config import load_config

log = logging.getLogger("workers")

QUEUES = ("billing", "mail", "default")
TASK_MODULES = (
    "workers.tasks",
    "workers.digests",
)

_flask_app: Flask | None = None


def embedded_broker_url(var_dir: str) -> str:
    """The no-server broker of the embedded default: kombu's SQLAlchemy transport on SQLite."""
    return f"sqla+sqlite:///{Path(var_dir) / 'celery-broker.db'}"


def broker_url_from(config: dict) -> str:
    return config.get("CELERY_BROKER_URL") or embedded_broker_url(config["VAR_DIR"])


def celery_settings(config: dict) -> dict:
    """Celery settings derived from the Flask configuration."""
    from workers.schedule import beat_schedule

    broker = broker_url_from(config)
    transport_options = {}
    if broker.startswith(("redis://", "rediss://")):
        # A task whose worker died unacknowledged goes back to its queue after the visibility
        # timeout; a live worker looks for such tasks every `restore` seconds.
        transport_options = {
            "visibility_timeout": int(config["CELERY_VISIBILITY_TIMEOUT"]),
            "unacked_restore_interval": int(config["CELERY_UNACKED_RESTORE_INTERVAL"]),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        }
        prefix = config["CELERY_BROKER_KEYPREFIX"]
        if prefix:  # several deployments (or test runs) on one Redis database
            transport_options["global_keyprefix"] = prefix
    return {
        "broker_url": broker,
        "result_backend": None,
        "task_ignore_result": True,
        "task_always_eager": bool(config.get("CELERY_ALWAYS_EAGER")),
        # Eager mode behaves as with a broker: a task's error stays with the task (logged and
        # kept on its result), the caller that sent it carries on.
        "task_eager_propagates": False,
        # At-least-once: acknowledge after the task finished; a killed worker's task is
        # redelivered (Redis: after the visibility timeout). Every task is idempotent.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": transport_options,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": "default",
        "task_queues": [Queue(name) for name in QUEUES],
        "task_routes": {
            "workers.mail.*": {"queue": "mail"},
            "workers.digests.*": {"queue": "mail"},
        },
        "task_publish_retry": False,
        "beat_schedule": beat_schedule(),
        "timezone": "UTC",
        "enable_utc": True,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": False,
    }


class FlaskTask(Task):
    """Runs the task body inside a Flask application context and cleans the session after."""

    abstract = True

    def __call__(self, *args, **kwargs):
        if has_app_context():
            return self.run(*args, **kwargs)
        app = flask_app()
        with app.app_context():
            from planet.extensions import db

            try:
                return self.run(*args, **kwargs)
            finally:
                db.session.remove()


def flask_app() -> Flask:
    """The Flask app of this worker process, created on first use."""
    global _flask_app
    if _flask_app is None:
        from planet import create_app

        _flask_app = create_app()
    return _flask_app


def bind(app: Flask) -> None:
    """Point the Celery app at a Flask app's configuration (called by workers.init_app)."""
    global _flask_app
    settings = celery_settings(app.config)
    old_broker = (celery.conf.broker_url, celery.conf.broker_transport_options)
    celery.conf.update(settings)
    new_broker = (settings["broker_url"], settings["broker_transport_options"])
    if old_broker != new_broker:
        # kombu keeps connection and producer pools in process-wide registries keyed by the
        # broker URL: close them all and forget them, so a later app on the old URL gets
        # fresh pools instead of the closed ones ("Acquire on closed pool").
        kombu_pools.reset()
        celery._pool = None
        celery.amqp._producer_pool = None  # bound to the old connection (and key prefix)
    _flask_app = app


celery = Celery("planet", task_cls=FlaskTask, include=list(TASK_MODULES))
celery.conf.update(celery_settings(load_config()))
app = celery  # `celery -A workers.app` finds either name

# The task signals, the worker's metrics port and its logging (after `celery` exists).
from workers import metrics as _metrics  # noqa: E402, F401
