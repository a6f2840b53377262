"""The self-introduction and the owner's introduction template.

Types are checked here; the rules (lengths, dates, windows) are checked by the services, so
the same refusal reaches the browser, JSON and tasks.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


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
