"""Deferred jobs: work that must run only after the current transaction commits.

`planet` never imports `workers`. Every job name is declared once, with its one handler:

    @jobs.handler("notifications.topic_created")
    def topic_created(topic_id: int, **_ignored) -> None: ...

A service calls `defer("area.verb_noun", id=...)`; an undeclared name raises `UnknownJob` right
there (in the request, so a typo fails its tests). The job is kept on the session and handed to
the dispatcher when (and only if) the transaction commits. The workers package installs a
dispatcher that records the job and sends a Celery task; without one (the embedded default
before workers are configured, and unit tests) the handler runs inline after commit.

One event with several reactions defers one job per reaction (e.g. `notifications.comment_created`
and `engagement.comment_created`), so each reaction runs, fails and retries on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from planet import logs

log = logging.getLogger(__name__)
_PENDING_KEY = "planet_pending_jobs"


class UnknownJob(LookupError):
    """A job name that no module declared with @jobs.handler."""


class DuplicateJob(RuntimeError):
    """A second, different handler for a job name that already has one."""


@dataclass(frozen=True)
class Job:
    name: str
    kwargs: dict = field(default_factory=dict)
    request_id: str | None = field(default=None, compare=False)
    """The request that deferred the job (planet.logs): its lines and the job's share it.
    Not part of what the job is: the same name and ids are the same job."""


Handler = Callable[..., object]
Dispatcher = Callable[[Job], None]

registry: dict[str, Handler] = {}
"""Every declared job name and its one handler (filled by @handler at import)."""


def _same_function(a: Handler, b: Handler) -> bool:
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def handler(name: str):
    """Declare the job `name` and its handler. A name has exactly one handler: a second,
    different function raises DuplicateJob (re-importing the same module is harmless)."""
    if not name or "." not in name:
        raise ValueError(f"a job name is 'area.verb_noun', not {name!r}")

    def decorator(func: Handler) -> Handler:
        existing = registry.get(name)
        if existing is not None and not _same_function(existing, func):
            raise DuplicateJob(
                f"job {name!r} already has a handler: {existing.__module__}.{existing.__qualname__}"
            )
        registry[name] = func
        return func

    return decorator


def handler_for(name: str) -> Handler:
    """The handler of a declared job name; UnknownJob otherwise."""
    try:
        return registry[name]
    except KeyError:
        raise UnknownJob(f"no job is declared as {name!r}") from None


def defer(name: str, **kwargs) -> None:
    """Queue a job to run after the current transaction commits (ids only, never ORM objects).
    Raises UnknownJob at once when no handler is declared for `name`."""
    from planet.extensions import db

    handler_for(name)
    job = Job(name, kwargs, logs.current_request_id())
    db.session().info.setdefault(_PENDING_KEY, []).append(job)


def has_pending(session: Session) -> bool:
    """Whether jobs were deferred in the session's current transaction."""
    return bool(session.info.get(_PENDING_KEY))


def run_inline(job: Job) -> None:
    handler_for(job.name)(**job.kwargs)


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
