"""The owner's leak lookup: the member number on a leaked screenshot, to the member it is.
A lookup is a POST (it writes an entry in the planet's audit list: who looked up whom)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.validators import InputRequired, NumberRange

from planet import policy
from planet.content import watermark
from planet.content.views.common import bp, writing
from planet.moderation import services as moderation
from planet.policy import Action
from planet.web.forms import IntegerField


class LookupForm(FlaskForm):
    number = IntegerField(
        _l("Member number"),
        validators=[
            InputRequired(message=_l("Type the number shown after “No.”.")),
            NumberRange(min=1, max=watermark.MAX_NUMBER,
                        message=_l("A member number is a whole number from 1.")),
        ],
    )  # fmt: skip


@bp.route("/leaks", methods=["GET", "POST"])
def leak_lookup(slug):
    planet = writing(slug)
    policy.require(current_user, Action.TRACE_LEAK, planet)
    form = LookupForm()
    found, status = None, 200
    if form.is_submitted():
        status = 400
        if form.validate():
            found = watermark.member_by_number(planet, form.number.data)
            status = 200  # "nobody has this number" is an answer too (and is audited)
            target = f"member:{found[0].user_id}" if found else ""
            moderation.record(planet, current_user, "leak_lookup", target, f"No.{form.number.data}")
    page = render_template(
        "content/leaks.html",
        planet=planet,
        form=form,
        found=found,
        example=watermark.mark_for(planet, current_user),
        active_tab="content.leak_lookup",
    )
    return page, status
