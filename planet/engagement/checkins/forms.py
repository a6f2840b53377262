"""Creating a challenge and checking in.

Types are checked here; the rules (lengths, dates, windows) are checked by the services, so
the same refusal reaches the browser, JSON and tasks.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Optional

from planet.web.forms import DateField, IntegerField


class ChallengeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired()])
    rules = TextAreaField(_l("Rules"))
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    length_days = IntegerField(_l("Length in days"), default=21, validators=[InputRequired()])
    window_start = TimeField(_l("Daily window opens"), default=None, validators=[Optional()])
    window_end = TimeField(_l("Daily window closes"), default=None, validators=[Optional()])
    late_allowed = BooleanField(
        _l("Accept late check-ins (after the window, same day)"), default=True
    )


class CheckInForm(FlaskForm):
    body = TextAreaField(_l("Today's check-in"))
    image = FileField(_l("Image (optional)"))
