"""Site-wide forms, and the one way a view shows a service's refusal on a form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField


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
