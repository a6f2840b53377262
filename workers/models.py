"""Worker bookkeeping: the job outbox, periodic locks and the worker heartbeat. Each table
carries the unique key that makes its side effect happen once however often a task runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planet.extensions import db
from planet.models import CreatedAtMixin, UTCDateTime, model_repr


class PendingJob(CreatedAtMixin, db.Model):
    """A deferred job written in the same transaction as the change that caused it.

    After commit it is sent to the broker; a relay re-sends rows whose `next_attempt_at` has
    passed (the broker was down, or a worker died), and running one is idempotent: `done_at`
    is set in the transaction that ran it, under a row lock.
    """

    __tablename__ = "worker_pending_jobs"
    __table_args__ = (Index("ix_worker_pending_jobs_due", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    kwargs: Mapped[str] = mapped_column(Text)
    """JSON of ids."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    request_id: Mapped[str | None] = mapped_column(String(128))
    """The id of the request that deferred the job: the worker logs under it too."""

    def __repr__(self) -> str:
        return model_repr(self, "name", "done_at")


class PeriodicRun(db.Model):
    """One row per periodic job and period: a second beat (or a re-sent tick) finds it taken."""

    __tablename__ = "worker_periodic_runs"
    __table_args__ = (UniqueConstraint("job", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    period_key: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[str] = mapped_column(String(500), default="")

    def __repr__(self) -> str:
        return model_repr(self, "job", "period_key", "finished_at")


class WorkerHeartbeat(db.Model):
    """Written by the worker every 30 seconds; the health endpoint reports its age."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<WorkerHeartbeat {self.name} {self.beat_at}>"
