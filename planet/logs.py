"""Structured logs: one JSON object a line in production, readable text in development.

Every line carries the context it was logged in: the request id (taken from a well-formed
`X-Request-ID` of the proxy, else generated, and echoed in the response), the signed-in user,
the planet a page is about, and, in a worker, the job and the request that deferred it (the id
travels with the job: planet.jobs stores it on the job, the relay binds it again).

Secrets never reach a line: values under sensitive keys (passwords, tokens, card fields, mail
bodies) are dropped, and known secret shapes (card numbers, Stripe keys and tokens, bearer
tokens, the tokens of e-mailed links) are masked in messages and tracebacks. Call sites still
log ids, never the objects or the text a person typed.

    LOG_FORMAT=json|text   (json in production, text otherwise)
    LOG_LEVEL=INFO
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@=+/-]{7,127}")
CONTEXT_FIELDS = ("request_id", "user_id", "planet_id", "job", "pending_job_id", "task", "task_id")
REDACTED = "[redacted]"
SAFE_FIELDS = frozenset(
    {"time", "level", "logger", "request_id", "job", "task", "task_id", "endpoint", "method"}
)
"""Fields whose values we set ourselves (ids, names, a well-formed request id): not scanned."""

_context: contextvars.ContextVar[dict] = contextvars.ContextVar("planet_log_context", default={})  # noqa: B039 - never mutated: bind() sets a new dict

request_log = logging.getLogger("planet.request")


# ---------------------------------------------------------------- context


def bind(**values) -> contextvars.Token:
    """Add fields to every line logged from here on in this context; returns the token that
    `unbind` takes to restore the previous fields."""
    merged = {**_context.get(), **{k: v for k, v in values.items() if v is not None}}
    return _context.set(merged)


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


@contextlib.contextmanager
def bound(**values):
    """`with logs.bound(job="x", request_id=rid): ...`"""
    token = bind(**values)
    try:
        yield
    finally:
        unbind(token)


def current_request_id() -> str | None:
    return _context.get().get("request_id")


def context_fields() -> dict:
    fields = dict(_context.get())
    user_id = _signed_in_user_id()
    if user_id is not None:
        fields.setdefault("user_id", user_id)
    return fields


def _signed_in_user_id() -> int | None:
    """The user Flask-Login already loaded for this request (never loads one: no SQL here)."""
    if not has_request_context():
        return None
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


class ContextFilter(logging.Filter):
    """Copies the bound context onto each record (as attributes the formatters read)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in context_fields().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


# ---------------------------------------------------------------- redaction

SENSITIVE_KEY = re.compile(
    r"pass(word|wd)?|secret|token|authori[sz]ation|cookie|cvc|cvv|card|iban|"
    r"text_body|html_body|^body$|message_text|api_key",
    re.IGNORECASE,
)
_MASKS = [
    # Bearer credentials (the metrics token, API keys in headers).
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + REDACTED),
    # Stripe secrets and single-use card material.
    (re.compile(r"\b(sk|rk)_(test|live)_[A-Za-z0-9]+"), REDACTED),
    (re.compile(r"\bwhsec_[A-Za-z0-9]+"), REDACTED),
    (re.compile(r"\b(tok|btok|src|seti|pi)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+"), REDACTED),
    (re.compile(r"\btok_[A-Za-z0-9_]+"), "tok_" + REDACTED),
    # The token of an e-mailed link (verification, password reset, unsubscribe) in a path.
    (
        re.compile(r"(/(?:verify|reset|unsubscribe)/)[^/\s?#\"']+"),
        r"\1" + REDACTED,
    ),
    # key=value / "key": "value" pairs under a sensitive key.
    (
        re.compile(
            r"(?i)(\b[\w-]*(?:password|passwd|secret|token|cvc|cvv|card_?number)[\w-]*"
            r"[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]+)"
        ),
        r"\1" + REDACTED,
    ),
]
_CARD_CANDIDATE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


_SUSPECT = re.compile(
    r"\d[\d -]{11,}|\b(?:sk|rk|whsec|b?tok|src|seti|pi)_|bearer|basic|"
    r"/(verify|reset|unsubscribe)/|pass|secret|token|cvc|cvv|card",
    re.IGNORECASE,
)
"""Anything a mask above could match matches this: text without it is left alone (one scan).
An underscore alone does not (every line's context names have one), only the prefixes of the
provider secrets the masks look for."""


def redact_text(text: str) -> str:
    """Mask known secret shapes in free text (messages, tracebacks)."""
    if not _SUSPECT.search(text):
        return text
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return _CARD_CANDIDATE.sub(_mask_card, text)


def redact(value, key: str = ""):
    """A log field's value, safe to write: sensitive keys dropped, strings masked."""
    if key and SENSITIVE_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


# ---------------------------------------------------------------- formatters


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: time, level, logger, message, context, extras, traceback."""

    def __init__(self):
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )

    def process_log_record(self, log_data: dict) -> dict:
        return {
            key: value if key in SAFE_FIELDS else redact(value, "" if key == "message" else key)
            for key, value in log_data.items()
        }


class TextFormatter(logging.Formatter):
    """Development: `time LEVEL logger [request user planet job] message`."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if hasattr(record, name)
        ]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        try:
            line = super().format(record)
        finally:
            del record.context
        # The time in front is ours, and looks like a card number to the masks' scan.
        time_part = len(record.asctime)
        return line[:time_part] + redact_text(line[time_part:])


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonLineFormatter() if log_format == "json" else TextFormatter()


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def make_handler(log_format: str, stream=None) -> logging.Handler:
    """A handler with Planet's formatter, context and redaction (used for stderr, and by tests
    on a buffer)."""
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(formatter_for(log_format))
    handler.addFilter(ContextFilter())
    return handler


def configure(config: dict) -> None:
    """Install (once per process) the root handler in the configured format and level. Under
    TESTING the test runner captures records itself, so no stderr handler is added."""
    root = logging.getLogger()
    root.setLevel(config["LOG_LEVEL"])
    logging.getLogger("alembic").setLevel(logging.WARNING)
    handler = next((h for h in root.handlers if getattr(h, "planet_handler", False)), None)
    if handler is None and config.get("TESTING"):
        return
    if handler is None:
        handler = make_handler(config["LOG_FORMAT"])
        handler.planet_handler = True
        root.addHandler(handler)
    else:
        handler.setFormatter(formatter_for(config["LOG_FORMAT"]))


# ---------------------------------------------------------------- the request id


def well_formed_request_id(value: str | None) -> str | None:
    """The proxy's id if it is printable, unspaced and 8-128 characters long; None otherwise."""
    if value and _WELL_FORMED_ID.fullmatch(value):
        return value
    return None


def _start_request() -> None:
    request_id = well_formed_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_id = request_id or uuid.uuid4().hex
    g.planet_log_token = bind(request_id=g.request_id)
    g.planet_request_started = time.perf_counter()


def _finish_request(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("planet_request_started")
    if started is not None:
        rule = request.url_rule.rule if request.url_rule is not None else None
        log_request(request.method, rule, request.endpoint, response.status_code, started)
    return response


def log_request(method: str, rule: str | None, endpoint: str | None, status: int, started: float):
    """The one line each request leaves (`started`: its time.perf_counter() at the start)."""
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    request_log.info(
        "%s %s %s %sms",
        method,
        rule or "(no route)",
        status,
        duration_ms,
        extra={
            "method": method,
            "endpoint": endpoint,
            "status": status,
            "duration_ms": duration_ms,
        },
    )


def _end_request(_error) -> None:
    token = g.pop("planet_log_token", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context (a copied one)
            unbind(token)


def init_app(app: Flask) -> None:
    """Configure logging and tag every request (call first: its after-request hook runs last,
    after the commit, so the request line's duration includes it)."""
    configure(app.config)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
