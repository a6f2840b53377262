"""Forms for community life. Types are checked here; the rules (lengths, dates, windows) are
checked by the services, so the same refusal reaches the browser, JSON and tasks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from planet.engagement.models import LotteryEligibility, Recurrence, ResultsVisibility


class IntroductionForm(FlaskForm):
    who = TextAreaField(_l("Who I am"))
    work = TextAreaField(_l("What I do"))
    offer = TextAreaField(_l("What I can offer"))
    seeking = TextAreaField(_l("What I am looking for"))
    city = StringField(_l("City"))
    tags = StringField(_l("Skills and tags (separated by commas)"))
    contact = StringField(_l("Contact details (WeChat, email...)"))


class TemplateForm(FlaskForm):
    who = StringField(_l("Prompt for “who I am”"))
    work = StringField(_l("Prompt for “what I do”"))
    offer = StringField(_l("Prompt for “what I can offer”"))
    seeking = StringField(_l("Prompt for “what I am looking for”"))


class ChallengeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired()])
    rules = TextAreaField(_l("Rules"))
    start_date = DateField(_l("Start date"), validators=[InputRequired()])
    length_days = IntegerField(_l("Length in days"), default=21, validators=[InputRequired()])
    window_start = TimeField(_l("Daily window opens"), default=None, validators=[Optional()])
    window_end = TimeField(_l("Daily window closes"), default=None, validators=[Optional()])
    late_allowed = BooleanField(_l("Accept late check-ins (after the window, same day)"),
                                default=True)  # fmt: skip


class CheckInForm(FlaskForm):
    body = TextAreaField(_l("Today's check-in"))
    image = FileField(_l("Image (optional)"))


class AssignmentForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired()])
    body = TextAreaField(_l("Assignment"))
    due_date = DateField(_l("Due date"), validators=[InputRequired()])
    due_time = TimeField(_l("Due time"), validators=[InputRequired()])
    late_days = IntegerField(_l("Accept late hand-ins for (days)"), default=0,
                             validators=[InputRequired()])  # fmt: skip


class SubmissionForm(FlaskForm):
    body = TextAreaField(_l("Your work"), validators=[InputRequired()])


class GradeForm(FlaskForm):
    score = IntegerField(_l("Score (0–100)"), validators=[InputRequired()])
    comment = TextAreaField(_l("Feedback"))
    featured = BooleanField(_l("Feature as excellent work"))


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
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=60,
                                    validators=[InputRequired()])  # fmt: skip
    remind_minutes = IntegerField(_l("Remind (minutes before)"), default=60,
                                  validators=[InputRequired()])  # fmt: skip


class PollForm(FlaskForm):
    question = StringField(_l("Question"), validators=[InputRequired()])
    options = TextAreaField(_l("Options (one per line)"))
    multiple = BooleanField(_l("Allow several choices"))
    closes_date = DateField(_l("Closes on"), validators=[InputRequired()])
    closes_time = TimeField(_l("at"), validators=[InputRequired()])
    results = SelectField(
        _l("Show results"),
        choices=[
            SelectChoice(ResultsVisibility.AFTER_VOTE.value, _l("After voting")),
            SelectChoice(ResultsVisibility.AFTER_CLOSE.value, _l("After the poll closes")),
        ],
        default=ResultsVisibility.AFTER_VOTE.value,
    )


class LotteryForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired()])
    prize = StringField(_l("Prize"))
    eligibility = SelectField(
        _l("Who takes part"),
        choices=[
            SelectChoice(
                LotteryEligibility.CHECKED_IN_THIS_WEEK.value,
                _l("Members who checked in this week"),
            ),  # fmt: skip
            SelectChoice(
                LotteryEligibility.ACTIVE_THIS_WEEK.value, _l("Members active this week")
            ),  # fmt: skip
            SelectChoice(LotteryEligibility.ALL_MEMBERS.value, _l("All members")),
        ],
    )
    winner_count = IntegerField(_l("Number of winners"), default=1, validators=[InputRequired()])


class ActionForm(FlaskForm):
    """An empty form: CSRF only (buttons)."""
