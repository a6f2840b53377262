"""Site-wide forms, and the one way a view shows a service's refusal on a form."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

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


# ---------------------------------------------------------------- prices
#
# One limit for every price on Planet: the owner's forms refuse above it (PriceField, with the
# reason beside the field), the planet service and the money side check it again, and checkout
# charges anything up to it (Stripe takes amounts of up to 99,999,999 minor units).

MAX_PRICE = 10_000_000
"""The largest price, in minor units: 100,000.00 in every supported currency (all of them have
two decimal places). Planet prices, renewal prices and coupons are held to it."""
PRICE_PLACES = 2
MAX_PRICE_MAJOR = Decimal(MAX_PRICE).scaleb(-PRICE_PLACES)


def max_price_text() -> str:
    """The limit as people read it: "100,000"."""
    return f"{MAX_PRICE_MAJOR.normalize():,f}"


def price_problem(value: Decimal):
    """Why `value` (major units) cannot be a price, or None."""
    if not value.is_finite():
        return _l("Enter the price as a number, e.g. 199 or 99.50.")
    if value < 0:
        return _l("The price cannot be negative.")
    if value > MAX_PRICE_MAJOR:
        return _l("The price cannot exceed %(max)s.", max=max_price_text())
    if value != value.quantize(Decimal(1).scaleb(-PRICE_PLACES)):
        return _l("The price can have at most %(n)s decimal places.", n=PRICE_PLACES)
    return None


class PriceField(DecimalField):
    """A price as the owner types it, in major units ("199", "99.50"): from 0 to the one limit,
    at most two decimal places; anything else is a field error giving the reason. Empty: None.
    The browser is told the same bounds (min, max, step)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", None)
        bounds = {"min": "0", "max": f"{MAX_PRICE_MAJOR.normalize():f}", "step": "0.01"}
        kwargs["render_kw"] = {**bounds, "inputmode": "decimal", **kwargs.get("render_kw", {})}
        super().__init__(label, validators, **kwargs)
        self.max_text = max_price_text()

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        try:
            value = Decimal(str(valuelist[0]).strip())
        except (InvalidOperation, ValueError):
            raise ValueError(_l("Enter the price as a number, e.g. 199 or 99.50.")) from None
        problem = price_problem(value)
        if problem is not None:
            raise ValueError(problem)
        self.data = value


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
