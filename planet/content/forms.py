"""Content forms. Limits live in services (they also guard non-form callers); forms repeat them
so a person sees the reason next to the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from planet.content.services.text import (
    ANSWER_MAX,
    BODY_MAX,
    COMMENT_MAX,
    REPORT_REASON_MAX,
    TITLE_MAX,
)
from planet.web.forms import DateTimeLocalField, IntegerField, db_id


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _required():
    return DataRequired(message=_l("This cannot be empty."))


def _max(limit: int):
    return Length(max=limit, message=_l("At most %(max)d characters.", max=limit))


class TopicForm(FlaskForm):
    title = StringField(_l("Title (optional)"), filters=[_strip], validators=[_max(TITLE_MAX)])
    body = TextAreaField(_l("Content"), filters=[_strip], validators=[_required(), _max(BODY_MAX)])
    images = MultipleFileField(_l("Images (up to 9: PNG, JPEG, WebP or GIF)"))
    documents = MultipleFileField(_l("Files (up to 5: PDF, Office, ZIP, audio or video)"))
    attachment_keys = HiddenField()
    """Keys of images already uploaded through content.upload (space or comma separated)."""
    announce = BooleanField(_l("Announcement: pin it and notify every member"))
    publish_at = DateTimeLocalField(
        _l("Publish at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], validators=[Optional()]
    )
    """For "Schedule": a wall-clock time in the viewer's zone (planet/web/clock.py)."""


class EditTopicForm(FlaskForm):
    title = StringField(_l("Title (optional)"), filters=[_strip], validators=[_max(TITLE_MAX)])
    body = TextAreaField(_l("Content"), filters=[_strip], validators=[_required(), _max(BODY_MAX)])


class AskForm(FlaskForm):
    addressee = SelectField(
        _l("Ask"), coerce=db_id, validate_choice=False, validators=[_required()]
    )
    body = TextAreaField(
        _l("Your question"), filters=[_strip], validators=[_required(), _max(BODY_MAX)]
    )
    anonymous = BooleanField(_l("Ask anonymously"))


class AnswerForm(FlaskForm):
    body = TextAreaField(
        _l("Your answer"), filters=[_strip], validators=[_required(), _max(ANSWER_MAX)]
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"), filters=[_strip], validators=[_required(), _max(COMMENT_MAX)]
    )
    parent_id = IntegerField(
        widget=HiddenInput(),
        validators=[Optional(), NumberRange(min=1, message=_l("Not a valid comment."))],
    )


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with it?"),
        filters=[_strip],
        validators=[_required(), _max(REPORT_REASON_MAX)],
    )


class ImageUploadForm(FlaskForm):
    image = MultipleFileField(_l("Image"))
