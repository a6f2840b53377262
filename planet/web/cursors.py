"""Keyset-pagination cursors, the one codec for every list (`?after=<cursor>`).

A cursor is the sort key of the last row shown, as text: "42" or "17.42" (member count, id)
or "1700000000123456.42" (microseconds since the epoch, id). A malformed cursor is a 400.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort
from flask_babel import lazy_gettext as _l

_MAX_PARTS = 3
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _bad():
    abort(400, description=str(_l("That page link is not valid.")))


def decode_ints(raw: str | None, parts: int) -> tuple[int, ...] | None:
    """Decode a cursor of `parts` integers; None when absent."""
    if raw is None or raw == "":
        return None
    pieces = raw.split(".")
    if len(pieces) != parts or parts > _MAX_PARTS:
        _bad()
    try:
        values = tuple(int(piece) for piece in pieces)
    except ValueError:
        _bad()
    if any(abs(value) > 2**62 for value in values):
        _bad()
    return values


def decode_int_cursor(raw: str | None) -> int | None:
    values = decode_ints(raw, 1)
    return None if values is None else values[0]


def encode(*values: int) -> str:
    return ".".join(str(int(value)) for value in values)


def to_micros(moment: datetime) -> int:
    return (moment.astimezone(UTC) - _EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    try:
        return _EPOCH + value * _MICRO
    except (OverflowError, OSError, ValueError):
        _bad()
