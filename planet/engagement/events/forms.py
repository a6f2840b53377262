"""Creating an event.

Types are checked here; the rules (lengths, dates, windows) are checked by the services, so
the same refusal reaches the browser, JSON and tasks.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from planet.engagement.events.models import Recurrence
from planet.web.forms import DateField, IntegerField


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired()])
    description = TextAreaField(_l("Description"))
    location = StringField(_l("Where (place or link)"))
    date = DateField(_l("Date"), validators=[InputRequired()])
    time = TimeField(_l("Time"), validators=[InputRequired()])
    recurrence = SelectField(
        _l("Repeats"),
        choices=[
            SelectChoice(Recurrence.NONE.value, _l("Once")),
            SelectChoice(Recurrence.WEEKLY.value, _l("Every week")),
        ],
        default=Recurrence.NONE.value,
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"), default=60, validators=[InputRequired()]
    )
    remind_minutes = IntegerField(
        _l("Remind (minutes before)"), default=60, validators=[InputRequired()]
    )
