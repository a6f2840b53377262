"""The message form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from planet.messages.services import BODY_MAX


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=BODY_MAX)])


class MarkReadForm(FlaskForm):
    """Only the CSRF token."""
