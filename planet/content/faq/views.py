"""FAQ pages, on the content blueprint: the FAQ tab (groups, one hashtag, a search), the
suggestions offered while a member types a question, "this answered me", and the moderators'
promote, summary and hide."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.content.faq import queries, services
from planet.content.faq.forms import SummaryForm, SwitchForm
from planet.content.queries.search import clean_query
from planet.content.views.common import bp, liked_any, reading, topic_url, writing
from planet.errors import ServiceError
from planet.policy import Action
from planet.web import pagecache

TAB = "content.questions"  # the FAQ is one of the Q&A tab's lists


def _faq_url(planet, **kwargs) -> str:
    return url_for("content.faq", slug=planet.slug, **kwargs)


@bp.get("/faq")
def faq(slug):
    planet, away = reading(slug)
    if away:
        return away
    policy.require(current_user, Action.VIEW_FAQ, planet)
    return pagecache.serve(planet, lambda: _faq_page(planet), liked_any)


def _faq_page(planet, status: int = 200):
    q = clean_query(request.args.get("q", ""))
    tag = (request.args.get("tag") or "").strip()[:40]
    context = {"q": q, "tag": tag, "results": [], "groups": [], "promoted": [], "cursor": None}
    if q:
        context["results"] = queries.search(planet.id, q)
    elif tag:
        context["results"], context["cursor"] = queries.tag_page(
            planet.id, tag, request.args.get("after")
        )
    else:
        context["promoted"] = queries.promoted(planet.id)
        context["groups"] = queries.groups(planet.id)
    manages = policy.may(current_user, Action.MANAGE_FAQ, planet)
    if manages:
        context["hidden"] = queries.hidden(planet.id) if not (q or tag) else []
        context["deflected"] = queries.deflections(planet.id)
    page = render_template(
        "content/faq/list.html",
        planet=planet,
        manages=manages,
        may_ask=policy.may(current_user, Action.ASK_QUESTION, planet),
        active_tab=TAB,
        **context,
    )
    return page, status


@bp.get("/faq/suggest")
def faq_suggest(slug):
    """Up to five existing answers for what the member is typing (JSON: the items, and the
    list's HTML for the ask page)."""
    planet = writing(slug)
    policy.require(current_user, Action.VIEW_FAQ, planet)
    typed = request.args.get("q", "")
    if len(typed) > queries.TYPED_MAX:
        abort(400, description=_("The text is too long."))
    entries = queries.suggestions(planet.id, typed)
    items = [
        {
            "id": e.topic.id,
            "title": e.title,
            "summary": e.summary,
            "url": topic_url(planet, e.topic),
        }
        for e in entries
    ]
    html = render_template("content/faq/_suggestions.html", planet=planet, entries=entries)
    return jsonify(items=items, html=html)


@bp.post("/faq/<int:topic_id>/helped")
def faq_helped(slug, topic_id):
    """The member found their answer before asking: counted, and off to the answer."""
    planet = writing(slug)
    services.record_deflection(planet, current_user, topic_id)
    flash(_("Glad it helped. The answer is below."), "success")
    return redirect(url_for("content.topic", slug=planet.slug, topic_id=topic_id))


def _managed(slug: str):
    planet = writing(slug)
    policy.require(current_user, Action.MANAGE_FAQ, planet)
    return planet


@bp.post("/faq/<int:topic_id>/promote")
def faq_promote(slug, topic_id):
    planet, on = _switch(slug)
    services.set_promoted(planet, current_user, topic_id, on)
    flash(_("Promoted to the top of the FAQ.") if on else _("No longer promoted."), "success")
    return redirect(_faq_url(planet))


@bp.post("/faq/<int:topic_id>/hide")
def faq_hide(slug, topic_id):
    planet, on = _switch(slug)
    services.set_hidden(planet, current_user, topic_id, on)
    flash(_("Hidden from the FAQ.") if on else _("Back in the FAQ."), "success")
    return redirect(_faq_url(planet))


def _switch(slug: str):
    planet = _managed(slug)
    form = SwitchForm()
    if not form.validate():
        abort(400, description=_("Unknown choice."))
    return planet, form.on


@bp.post("/faq/<int:topic_id>/summary")
def faq_summary(slug, topic_id):
    planet = _managed(slug)
    form = SummaryForm()
    try:
        if not form.validate():
            raise ServiceError(form.summary.errors[0], field="summary")
        services.set_summary(planet, current_user, topic_id, form.summary.data)
    except ServiceError as error:
        flash(str(error.reason), "error")
        return _faq_page(planet, 400)
    flash(_("Summary saved."), "success")
    return redirect(_faq_url(planet))
