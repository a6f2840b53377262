"""The column form; the services check the same limits for every other caller."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from planet.content.columns.models import COLUMN_DESCRIPTION_MAX, COLUMN_TITLE_MAX
from planet.web.forms import IntegerField


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ColumnForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("This cannot be empty.")),
            Length(max=COLUMN_TITLE_MAX, message=_l("At most %(max)d characters.",
                                                    max=COLUMN_TITLE_MAX)),
        ],
    )  # fmt: skip
    description = TextAreaField(
        _l("Description (optional)"),
        filters=[_strip],
        validators=[Length(max=COLUMN_DESCRIPTION_MAX, message=_l(
            "At most %(max)d characters.", max=COLUMN_DESCRIPTION_MAX))],
    )  # fmt: skip


class AddTopicForm(FlaskForm):
    topic_id = IntegerField(_l("Topic"), validators=[DataRequired(), NumberRange(min=1)])


class MoveForm(FlaskForm):
    position = IntegerField(
        _l("Place"), validators=[DataRequired(), NumberRange(min=1, max=100_000)]
    )
