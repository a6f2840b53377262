"""The FAQ's forms: an entry's summary, and the switches (promote, hide) as one-field posts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import AnyOf, Length

from planet.content.faq.models import SUMMARY_MAX


class SummaryForm(FlaskForm):
    summary = StringField(
        _l("Summary"),
        validators=[Length(max=SUMMARY_MAX, message=_l("At most %(max)d characters.",
                                                      max=SUMMARY_MAX))],
    )  # fmt: skip


class SwitchForm(FlaskForm):
    value = HiddenField(validators=[AnyOf(("on", "off"))])

    @property
    def on(self) -> bool:
        return self.value.data == "on"
