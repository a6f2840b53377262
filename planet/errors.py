"""How a service refuses: one exception family, which the request lifecycle turns into a 4xx
page or JSON reason in the user's language (planet.web.lifecycle). Services never abort()."""

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


class Refused(ServiceError):
    """The access policy said no (planet.policy.require): the Decision's status and reason."""

    status = 403

    def __init__(self, decision):
        super().__init__(decision.reason, decision.status)
        self.decision = decision
