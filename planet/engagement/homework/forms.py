"""Posting an assignment, handing in and grading.

Types are checked here; the rules (lengths, dates, windows) are checked by the services, so
the same refusal reaches the browser, JSON and tasks.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired

from planet.web.forms import DateField, IntegerField


class AssignmentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired()])
    body = TextAreaField(_l("Assignment"))
    due_date = DateField(_l("Due date"), validators=[InputRequired()])
    due_time = TimeField(_l("Due time"), validators=[InputRequired()])
    late_days = IntegerField(
        _l("Accept late hand-ins for (days)"), default=0, validators=[InputRequired()]
    )


class SubmissionForm(FlaskForm):
    body = TextAreaField(_l("Your work"), validators=[InputRequired()])


class GradeForm(FlaskForm):
    score = IntegerField(_l("Score (0–100)"), validators=[InputRequired()])
    comment = TextAreaField(_l("Feedback"))
    featured = BooleanField(_l("Feature as excellent work"))
