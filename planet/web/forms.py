"""Small site-wide forms."""

from flask_wtf import FlaskForm
from wtforms import SelectField


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[("zh", "简体中文"), ("en", "English")])
