"""URL converters: an `<int:...>` id beyond what a database key holds is a 404, not a 500."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

DB_INT_MAX = 2**63 - 1


class DatabaseIdConverter(IntegerConverter):
    """Werkzeug's int converter with the largest 64-bit signed key as its maximum."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter
