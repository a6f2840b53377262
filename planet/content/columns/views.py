"""Column pages, on the content blueprint: the list, a column with its contents and the
viewer's progress, managing a column (owner and admins), adding a topic, marking one read."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.content.columns import queries, services
from planet.content.columns.forms import AddTopicForm, ColumnForm, MoveForm
from planet.content.columns.models import Column
from planet.content.views.common import (
    bp,
    done,
    liked_any,
    reading,
    topic_or_404,
    topic_url,
    writing,
)
from planet.errors import ServiceError
from planet.planets.lookup import in_planet_or_404
from planet.policy import Action
from planet.web import pagecache
from planet.web.forms import apply_service_error, id_or_none

TAB = "content.columns"


def _column_url(planet, column, **kwargs) -> str:
    return url_for("content.column", slug=planet.slug, column_id=column.id, **kwargs)


def _managed(slug: str, column_id: int):
    planet = writing(slug)
    policy.require(current_user, Action.MANAGE_COLUMNS, planet)
    return planet, in_planet_or_404(Column, column_id, planet)


@bp.get("/columns")
def columns(slug):
    planet, away = reading(slug)
    if away:
        return away
    policy.require(current_user, Action.VIEW_COLUMN, planet)
    return pagecache.serve(
        planet,
        lambda: render_template(
            "content/columns/list.html",
            planet=planet,
            columns=queries.planet_columns(planet),
            active_tab=TAB,
        ),
        liked_any,
    )


def _save_column(planet, form, save):
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            saved = save()
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            flash(_("The column is ready. Add topics to it from their pages."), "success")
            return redirect(_column_url(planet, saved))
    page = render_template("content/columns/form.html", planet=planet, form=form, active_tab=TAB)
    return page, status


@bp.route("/columns/new", methods=["GET", "POST"])
def new_column(slug):
    planet = writing(slug)
    policy.require(current_user, Action.MANAGE_COLUMNS, planet)
    form = ColumnForm()
    return _save_column(
        planet,
        form,
        lambda: services.create_column(
            planet, current_user, title=form.title.data, description=form.description.data or ""
        ),
    )


@bp.get("/columns/<int:column_id>")
def column(slug, column_id):
    planet, away = reading(slug)
    if away:
        return away
    policy.require(current_user, Action.VIEW_COLUMN, planet)
    item = in_planet_or_404(Column, column_id, planet)
    return render_template(
        "content/columns/column.html",
        planet=planet,
        column=item,
        contents=queries.contents(item, current_user.id),
        active_tab=TAB,
    )


@bp.route("/columns/<int:column_id>/edit", methods=["GET", "POST"])
def edit_column(slug, column_id):
    """The column's title and description, and its topics: remove, move, add."""
    planet, item = _managed(slug, column_id)
    form = ColumnForm(obj=item)
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            services.edit_column(planet, current_user, item, title=form.title.data,
                                 description=form.description.data or "")  # fmt: skip
        except ServiceError as error:
            status = apply_service_error(form, error)
        else:
            return done(_("Saved."), _column_url(planet, item))
    page = render_template(
        "content/columns/edit.html",
        planet=planet,
        column=item,
        form=form,
        contents=queries.contents(item, None),
        add_form=AddTopicForm(formdata=None),
        move_form=MoveForm(formdata=None),
        active_tab=TAB,
    )
    return page, status


@bp.post("/columns/<int:column_id>/delete")
def delete_column(slug, column_id):
    planet, item = _managed(slug, column_id)
    services.delete_column(planet, current_user, item)
    return done(_("The column was deleted. Its topics stay in the timeline."),
                url_for("content.columns", slug=planet.slug))  # fmt: skip


@bp.route("/t/<int:topic_id>/column", methods=["GET", "POST"])
def add_to_column(slug, topic_id):
    """A moderator's "Add to column" from a topic page: the column is chosen in the form."""
    planet = writing(slug)
    policy.require(current_user, Action.MANAGE_COLUMNS, planet)
    topic = topic_or_404(planet, topic_id)
    if request.method == "GET":
        return render_template(
            "content/columns/add.html",
            planet=planet,
            topic=topic,
            place=queries.place_of(topic.id),
            choices=queries.columns_for_topic_menu(planet),
            active_tab=TAB,
        )
    column_id = id_or_none(request.form.get("column_id"))
    if column_id is None:
        abort(400, description=_("Choose a column."))
    item = in_planet_or_404(Column, column_id, planet)
    services.add_topic(planet, current_user, item, topic.id)
    message = _("Added to the column “%(title)s”.", title=item.title)
    return done(message, topic_url(planet, topic))


@bp.post("/columns/<int:column_id>/topics")
def add_topic(slug, column_id):
    """Add a topic by its id (the column's edit page)."""
    planet, item = _managed(slug, column_id)
    form = AddTopicForm()
    if not form.validate_on_submit():
        abort(400, description=_("Enter the number of a topic of this planet."))
    services.add_topic(planet, current_user, item, form.topic_id.data)
    return done(_("Added."), url_for("content.edit_column", slug=planet.slug, column_id=item.id))


@bp.post("/columns/<int:column_id>/topics/<int:topic_id>/remove")
def remove_topic(slug, column_id, topic_id):
    planet, item = _managed(slug, column_id)
    services.remove_topic(planet, current_user, item, topic_id)
    message = _("Removed from the column. The topic stays in the timeline.")
    return done(message, url_for("content.edit_column", slug=planet.slug, column_id=item.id))


@bp.post("/columns/<int:column_id>/topics/<int:topic_id>/move")
def move_topic(slug, column_id, topic_id):
    planet, item = _managed(slug, column_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400, description=_("Choose a place in the column."))
    services.move_topic(planet, current_user, item, topic_id, form.position.data)
    return redirect(url_for("content.edit_column", slug=planet.slug, column_id=item.id))


@bp.post("/columns/<int:column_id>/order")
def reorder(slug, column_id):
    """The whole new order at once: every topic of the column, each once (`topic_id` values)."""
    planet, item = _managed(slug, column_id)
    ids = [id_or_none(value) for value in request.form.getlist("topic_id")[:1000]]
    if None in ids:
        abort(400, description=_("The new order must list every topic of the column exactly once."))
    services.reorder(planet, current_user, item, ids)
    return done(_("Saved."), url_for("content.edit_column", slug=planet.slug, column_id=item.id))


@bp.post("/columns/<int:column_id>/read/<int:topic_id>")
def mark_read(slug, column_id, topic_id):
    """ "Read, next": note the topic as read and go on to the next one (or back to the column)."""
    planet = writing(slug)
    policy.require(current_user, Action.VIEW_COLUMN, planet)
    item = in_planet_or_404(Column, column_id, planet)
    topic = topic_or_404(planet, topic_id)
    services.mark_read(planet, current_user, item, topic)
    place = queries.place_of(topic.id)
    if request.form.get("go") == "next" and place is not None and place.next is not None:
        return redirect(url_for("content.topic", slug=planet.slug, topic_id=place.next.topic_id))
    return redirect(_column_url(planet, item))
