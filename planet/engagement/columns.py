"""Column helpers shared by the engagement features' models: the foreign keys, the enum column
and the leading columns most of their tables share (as mixins, kept first in the table)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum, ForeignKey, String, and_
from sqlalchemy.orm import Mapped, mapped_column

from planet.errors import ServiceError
from planet.planets.models import Membership

PLANET_FK = "planets.id"
USER_FK = "users.id"
TITLE_MAX = 120


def enum_column(kind):
    """A string-backed enum column (portable: no native enum type to migrate)."""
    return Enum(kind, native_enum=False, length=24)


def clean_title(title: str | None, missing) -> str:
    """A title for a TitledAuthored row, stripped; refused when empty (`missing`: the reason,
    naming the kind of thing) or longer than the column."""
    title = (title or "").strip()
    if not title:
        raise ServiceError(missing)
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("The title may have at most 120 characters."))
    return title


def joins_membership(row):
    """The join condition from a MemberRow model to the member's Membership in its planet."""
    return and_(Membership.planet_id == row.planet_id, Membership.user_id == row.user_id)


class InPlanet:
    """A row of one planet: its id, then the planet (deleted with it)."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-4)
    planet_id: Mapped[int] = mapped_column(ForeignKey(PLANET_FK, ondelete="CASCADE"), sort_order=-3)


class MemberRow(InPlanet):
    """A row about one member of a planet (deleted with the user)."""

    user_id: Mapped[int] = mapped_column(ForeignKey(USER_FK, ondelete="CASCADE"), sort_order=-2)


class Authored(InPlanet):
    """Something a planet's staff created: its author."""

    author_id: Mapped[int] = mapped_column(ForeignKey(USER_FK), sort_order=-2)


class TitledAuthored(Authored):
    """Something a planet's staff created, with a title."""

    title: Mapped[str] = mapped_column(String(TITLE_MAX), sort_order=-1)
