"""Domain errors raised by services; the request lifecycle turns them into a 4xx page/JSON."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused operation, with the user-facing reason (translated) and an HTTP status."""

    status = 400

    def __init__(self, reason, status: int | None = None):
        super().__init__(str(reason))
        self.reason = reason
        if status is not None:
            self.status = status


class NotAllowed(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class NotFound(ServiceError):
    status = 404
