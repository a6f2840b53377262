"""The one helper that shows a service's refusal on a form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField

from planet.errors import Conflict, ServiceError
from planet.web.forms import apply_service_error


class _Form(FlaskForm):
    email = StringField()


class _FieldError(ServiceError):
    def __init__(self, reason, field):
        super().__init__(reason)
        self.field = field


def test_an_error_naming_a_field_goes_under_it(app):
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        assert apply_service_error(form, _FieldError("Taken.", "email")) == 400
        assert form.email.errors == ["Taken."] and form.form_errors == []


def test_other_errors_are_form_errors_with_their_status(app):
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        assert apply_service_error(form, Conflict("Already there.")) == 409
        assert apply_service_error(form, _FieldError("No such field.", "nope")) == 400
        assert form.form_errors == ["Already there.", "No such field."]
        assert not form.email.errors
