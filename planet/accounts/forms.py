"""Account forms. Field checks here are the simple ones; the rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import EmailField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from planet.accounts import services

_required = DataRequired(message=_l("This field is required."))


class SignupForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[_required, Length(max=services.EMAIL_MAX)])
    display_name = StringField(
        _l("Display name"), validators=[_required, Length(max=services.DISPLAY_NAME_MAX)]
    )
    password = PasswordField(
        _l("Password"), validators=[_required, Length(max=services.PASSWORD_MAX)]
    )
    next = HiddenField()


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[_required, Length(max=services.EMAIL_MAX)])
    password = PasswordField(
        _l("Password"), validators=[_required, Length(max=services.PASSWORD_MAX)]
    )
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[_required, Length(max=services.EMAIL_MAX)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[_required, Length(max=services.PASSWORD_MAX)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[_required, EqualTo("password", message=_l("The passwords do not match."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[_required, Length(max=services.PASSWORD_MAX)]
    )
    new_password = PasswordField(
        _l("New password"), validators=[_required, Length(max=services.PASSWORD_MAX)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            _required,
            EqualTo("new_password", message=_l("The passwords do not match.")),
        ],
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Display name"), validators=[_required, Length(max=services.DISPLAY_NAME_MAX)]
    )
    bio = TextAreaField(_l("About you (Markdown)"), validators=[Length(max=services.BIO_MAX)])
    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("Follow my browser")),
            SelectChoice("zh", "简体中文"),
            SelectChoice("en", "English"),
        ],
        default="",
    )


class AvatarForm(FlaskForm):
    avatar = FileField(
        _l("New avatar"), validators=[FileRequired(_l("Please choose an image file."))]
    )


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token (confirm buttons, resend, remove avatar)."""
