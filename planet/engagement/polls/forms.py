"""Creating a poll and a lottery.

Types are checked here; the rules (lengths, dates, windows) are checked by the services, so
the same refusal reaches the browser, JSON and tasks.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from planet.engagement.polls.models import LotteryEligibility, ResultsVisibility
from planet.web.forms import DateField, IntegerField


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
            ),
            SelectChoice(LotteryEligibility.ACTIVE_THIS_WEEK.value, _l("Members active this week")),
            SelectChoice(LotteryEligibility.ALL_MEMBERS.value, _l("All members")),
        ],
    )
    winner_count = IntegerField(_l("Number of winners"), default=1, validators=[InputRequired()])
