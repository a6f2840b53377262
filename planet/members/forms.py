"""Forms for joining and for managing members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from planet.planets.models import Role
from planet.web.forms import DateField


def accept_rules_field() -> BooleanField:
    """The box every way in shows under the planet's rules (templates/members/_rules.html);
    members.services.check_rules_accepted reads it on the server."""
    return BooleanField(_l("I have read and accept the rules."))


class JoinForm(FlaskForm):
    accept_rules = accept_rules_field()


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice(Role.MEMBER.value, _l("Member")),
            SelectChoice(Role.ADMIN.value, _l("Admin")),
            SelectChoice(Role.GUEST.value, _l("Guest")),
        ],
    )


class ActionForm(FlaskForm):
    """A bare POST form (remove, ban, leave): only the CSRF token."""


class ImportForm(FlaskForm):
    """A CSV of people who already paid elsewhere (planet/members/import_file.py)."""

    file = FileField(
        _l("CSV file (UTF-8 or GBK)"),
        validators=[FileRequired(_l("Please choose a CSV file.")),
                    FileAllowed(["csv", "txt"], _l("Please choose a .csv file."))],
    )  # fmt: skip


class InvitationForm(FlaskForm):
    accept_rules = accept_rules_field()


class CompSeatForm(FlaskForm):
    """A free membership the owner grants (planet/members/comp.py)."""

    email = EmailField(_l("Their email address"), validators=[DataRequired(), Length(max=254)])
    until = DateField(_l("Free until (inclusive)"), validators=[InputRequired()])
    note = StringField(
        _l("Why (only you see it)"),
        validators=[Optional(), Length(max=120)],
        description=_l("A guest, a partner, a prize…"),
    )
