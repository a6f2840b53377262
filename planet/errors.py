"""How a service refuses: one exception family, which the request lifecycle turns into a 4xx
page or JSON reason in the user's language (planet.web.lifecycle). Services never abort()."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused operation, with the user-facing reason (translated) and an HTTP status;
    `field` names the form field the reason belongs beside (planet.web.forms.apply_service_error),
    when there is one."""

    status = 400
    field: str | None = None

    def __init__(self, reason, status: int | None = None, *, field: str | None = None):
        super().__init__(str(reason))
        self.reason = reason
        if status is not None:
            self.status = status
        if field is not None:
            self.field = field


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
