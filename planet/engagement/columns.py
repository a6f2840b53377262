"""Column helpers shared by the engagement features' models."""

from __future__ import annotations

from sqlalchemy import Enum

PLANET_FK = "planets.id"
USER_FK = "users.id"


def enum_column(kind):
    """A string-backed enum column (portable: no native enum type to migrate)."""
    return Enum(kind, native_enum=False, length=24)
