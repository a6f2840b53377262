"""Site-wide forms, and the one way a view shows a service's refusal on a form."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

import wtforms
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import Optional, Regexp


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[("zh", "简体中文"), ("en", "English")])


def apply_service_error(form, error) -> int:
    """Show a ServiceError on a WTForms form: under the field it names (`error.field`, when the
    form has that field), else as a form error (templates/base/_form_errors.html). Returns the
    error's HTTP status, for the re-rendered page."""
    reason = str(error.reason)
    field = form._fields.get(getattr(error, "field", None) or "")
    if field is not None:
        field.errors = [*field.errors, reason]
    else:
        form.form_errors.append(reason)
    return error.status


# ---------------------------------------------------------------- one submission, one operation


def new_request_key() -> str:
    """A key a form carries so that submitting it twice (a double click, a resend, two tabs
    of one page) is one operation: the service finds the row the first submission made."""
    return secrets.token_hex(16)


def RequestKeyField() -> HiddenField:  # noqa: N802 (a field factory, used like a field class)
    return HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")])


# ---------------------------------------------------------------- bounded fields
#
# Every form takes integers, decimals and dates through these (tests/planet/test_bounded_input.py
# checks no form imports WTForms' unbounded ones), so an id beyond 64 bits, NaN, an infinity or
# the year 9999 is a field error (a 4xx with the reason), never a database error.

DB_INT_MAX = 2**63 - 1
DECIMAL_LIMIT = Decimal("1e12")
FIRST_DATE, LAST_DATE = date(1970, 1, 1), date(2100, 12, 31)


def bounded_int(text, limit: int = DB_INT_MAX) -> int:
    """An integer typed by hand into a form, within ±`limit`, else ValueError."""
    number = int(text)
    if not -limit <= number <= limit:
        raise ValueError(_l("That number is out of range."))
    return number


def db_id(value) -> int:
    """A `coerce` for id choices: an integer a database key can hold, else ValueError."""
    number = int(value)
    if not 1 <= number <= DB_INT_MAX:
        raise ValueError(_l("Not a valid choice."))
    return number


class IntegerField(wtforms.IntegerField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -DB_INT_MAX <= self.data <= DB_INT_MAX:
            self.data = None
            raise ValueError(_l("That number is out of range."))


class DecimalField(wtforms.DecimalField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal) and (
            not self.data.is_finite() or abs(self.data) >= DECIMAL_LIMIT
        ):
            self.data = None
            raise ValueError(_l("Enter an ordinary number."))


class DateField(wtforms.DateField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_DATE <= self.data <= LAST_DATE:
            self.data = None
            raise ValueError(_l("Choose a date between 1970 and 2100."))


class DateTimeLocalField(wtforms.DateTimeLocalField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not FIRST_DATE <= self.data.date() <= LAST_DATE:
            self.data = None
            raise ValueError(_l("Choose a date between 1970 and 2100."))


def id_or_none(value) -> int | None:
    """An id read by hand (a query or form value, a referral code): the integer when a database
    key can hold it, else None."""
    try:
        return db_id(value)
    except (TypeError, ValueError):
        return None
