"""Deferred jobs: work that must run only after the current transaction commits.

`planet` never imports `workers`. A service calls `defer("area.verb_noun", id=...)`; the job is
kept on the session and handed to the dispatcher when (and only if) the transaction commits. The
workers package installs a dispatcher that sends Celery tasks; without one (the embedded default
before workers are configured, and unit tests) registered handlers run inline after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_PENDING_KEY = "planet_pending_jobs"


@dataclass(frozen=True)
class Job:
    name: str
    kwargs: dict = field(default_factory=dict)


Dispatcher = Callable[[Job], None]
_inline_handlers: dict[str, list[Callable[..., None]]] = {}


def register_inline(name: str):
    """Register a function that runs `name` jobs (several areas may handle one name; each
    handler runs once per job, in registration order). Registering the same function twice
    (a re-imported module) keeps one."""

    def decorator(func):
        handlers = _inline_handlers.setdefault(name, [])
        key = (func.__module__, func.__qualname__)
        handlers[:] = [h for h in handlers if (h.__module__, h.__qualname__) != key]
        handlers.append(func)
        return func

    return decorator


def handlers_for(name: str) -> list[Callable[..., None]]:
    return list(_inline_handlers.get(name, ()))


def defer(name: str, **kwargs) -> None:
    """Queue a job to run after the current transaction commits (ids only, never ORM objects)."""
    from planet.extensions import db

    db.session().info.setdefault(_PENDING_KEY, []).append(Job(name, kwargs))


def has_pending(session: Session) -> bool:
    """Whether jobs were deferred in the session's current transaction."""
    return bool(session.info.get(_PENDING_KEY))


def run_inline(job: Job) -> None:
    handlers = _inline_handlers.get(job.name)
    if not handlers:
        log.info("no inline handler for job %s; dropped", job.name)
        return
    for handler in list(handlers):
        handler(**job.kwargs)


def _dispatch(jobs: list[Job]) -> None:
    dispatcher: Dispatcher = current_app.extensions.get("planet_dispatcher", run_inline)
    for job in jobs:
        try:
            dispatcher(job)
        except Exception:  # a failed enqueue must not fail the committed request
            log.exception("could not dispatch job %s", job.name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    jobs = session.info.pop(_PENDING_KEY, None)
    if jobs:
        # Run outside the commit hook: the session is not usable for SQL inside after_commit.
        session.info.setdefault("planet_ready_jobs", []).extend(jobs)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING_KEY, None)


def flush_ready_jobs(session: Session) -> None:
    """Dispatch jobs whose transaction has committed. Called right after commit()."""
    jobs = session.info.pop("planet_ready_jobs", None)
    if jobs:
        _dispatch(jobs)


def commit(session: Session | None = None) -> None:
    """Commit and then dispatch the jobs that commit released. The only commit helper."""
    from planet.extensions import db

    session = session or db.session()
    session.commit()
    flush_ready_jobs(session)
