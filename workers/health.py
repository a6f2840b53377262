"""Health probes for /healthz (Redis and the worker heartbeat) and the heartbeat itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select

from planet.extensions import db
from planet.models import utcnow
from workers.models import WorkerHeartbeat

HEARTBEAT_MAX_AGE = timedelta(minutes=2)


def beat_heartbeat(now: datetime | None = None) -> dict:
    """Written by a worker (sent every 30 s by beat): proof that beat and a worker are alive."""
    now = now or utcnow()
    row = db.session.get(WorkerHeartbeat, "worker")
    if row is None:
        db.session.add(WorkerHeartbeat(name="worker", beat_at=now))
    else:
        row.beat_at = now
    db.session.commit()
    return {"beat_at": now.isoformat()}


def check_redis() -> str:
    url = current_app.config.get("REDIS_URL") or ""
    if not url:
        return "not configured"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as error:
        return f"error: {type(error).__name__}"


def check_worker() -> str:
    if current_app.config.get("CELERY_ALWAYS_EAGER"):
        return "inline (no broker)"
    try:
        beat_at = db.session.scalar(
            select(WorkerHeartbeat.beat_at).where(WorkerHeartbeat.name == "worker")
        )
    except Exception as error:
        return f"error: {type(error).__name__}"
    if beat_at is None:
        return "error: no heartbeat yet"
    age = utcnow() - beat_at
    if age > HEARTBEAT_MAX_AGE:
        return f"error: last heartbeat {int(age.total_seconds())} s ago"
    return "ok"


def init_app(app: Flask) -> None:
    probes = app.extensions.setdefault("planet_health_probes", {})
    probes["redis"] = check_redis
    probes["worker"] = check_worker
