"""Forms for joining and for managing members."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from planet.planets.models import Role


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
