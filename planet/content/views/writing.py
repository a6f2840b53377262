"""Writing in a planet: topics and image uploads, comments, likes, edits and deletes."""

from __future__ import annotations

import re

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from planet import policy
from planet.content import uploads
from planet.content.drafts import views as drafts
from planet.content.forms import CommentForm, EditTopicForm, TopicForm
from planet.content.library import services as library
from planet.content.library.detect import ACCEPT
from planet.content.services import comments, likes, topics
from planet.content.views.common import (
    bp,
    comment_or_404,
    done,
    form_flow,
    topic_for,
    topic_or_404,
    topic_url,
    writing,
)
from planet.errors import ServiceError
from planet.extensions import db
from planet.images import megabytes
from planet.moderation import services as moderation
from planet.moderation.models import HeldKind, HeldPost
from planet.moderation.views import held_redirect
from planet.policy import Action
from planet.text import render_markdown
from planet.web.clock import viewer_zone_name
from planet.web.forms import apply_service_error
from planet.web.redirects import redirect_back

_KEY_SPLIT = re.compile(r"[\s,]+")


_NO_FILES_IN_DRAFTS = _l(
    "Files are added when a topic is published: save the draft without them and add them then."
)


@bp.route("/new", methods=["GET", "POST"])
def new_topic(slug):
    planet = writing(slug)
    policy.require(current_user, Action.POST_TOPIC, planet)
    form = TopicForm()
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        chosen = drafts.intent()
        if chosen != "publish":
            try:
                if any(f.filename for f in request.files.getlist("documents")):
                    raise ServiceError(_NO_FILES_IN_DRAFTS, field="documents")
                saved = drafts.save_from_form(planet, form, chosen)
            except ServiceError as error:
                status = apply_service_error(form, error)
            else:
                return drafts.saved_redirect(planet, saved)
            return _topic_form(planet, form, status)
        keys = [key for key in _KEY_SPLIT.split(form.attachment_keys.data or "") if key]
        try:
            if _held_topic(planet, form, keys):
                return held_redirect(planet, _("post"))
            created = topics.create_topic(
                planet,
                current_user,
                title=form.title.data,
                body=form.body.data,
                images=request.files.getlist("images"),
                attachment_keys=keys,
                announce=bool(form.announce.data),
            )
            library.store_for_topic(
                planet, current_user, created, request.files.getlist("documents")
            )
        except ServiceError as error:
            # An image too large, not an image, too many: the form again, the text kept and
            # the reason beside the images (the request rolls back, nothing is half-written).
            status = apply_service_error(form, error)
        else:
            flash(_("Published."), "success")
            return redirect(topic_url(planet, created))
    return _topic_form(planet, form, status)


def _held_topic(planet, form, keys: list[str]):
    """Hold a topic whose text has a sensitive word; its images are stored now and attached
    when it is approved."""
    title, body = form.title.data or "", form.body.data or ""
    word = moderation.word_to_review(planet, current_user, title, body)
    if word is None:
        return None
    images = [f for f in request.files.getlist("images") if uploads.has_file(f)]
    if len(images) + len(keys) > topics.MAX_IMAGES:
        message = _("At most %(n)d images per topic.", n=topics.MAX_IMAGES)
        raise ServiceError(message, field="images")
    stored = [uploads.store_image(planet.id, current_user.id, f, field="images") for f in images]
    documents = request.files.getlist("documents")
    files = library.store_for_topic(planet, current_user, None, documents, listed=False)
    payload = {"title": title, "body": body, "attachment_keys": [*keys, *(a.key for a in stored)],
               "file_ids": [f.id for f in files]}  # fmt: skip
    return moderation.hold(planet, current_user, HeldKind.TOPIC, payload, word)


def _topic_form(planet, form, status: int):
    page = render_template(
        "content/topic_form.html",
        planet=planet,
        form=form,
        max_images=topics.MAX_IMAGES,
        zone=viewer_zone_name(planet),
        file_accept=ACCEPT,
        file_mb=megabytes(library.max_bytes()),
    )
    return page, status


PREVIEW_LIMIT = 20_000


@bp.post("/markdown-preview")
def markdown_preview(slug):
    """The editor's preview: Markdown rendered and sanitized exactly as a published text is."""
    writing(slug)
    text = request.form.get("text", "")
    if len(text) > PREVIEW_LIMIT:
        return jsonify(error=_("The text is too long to preview.")), 413
    return jsonify(html=render_markdown(text))


@bp.post("/files")
def upload(slug):
    """Upload one image for the topic form; answers JSON with the key to send back."""
    planet = writing(slug)
    policy.require(current_user, Action.POST_TOPIC, planet)
    files = [f for f in request.files.getlist("image") if uploads.has_file(f)]
    if len(files) != 1:
        raise ServiceError(_("Send exactly one image."))
    item = uploads.store_image(planet.id, current_user.id, files[0])
    url = url_for("content.attachment", slug=planet.slug, key=item.key)
    return jsonify(key=item.key, url=url, content_type=item.content_type), 201


@bp.post("/t/<int:topic_id>/comments")
def comment(slug, topic_id):
    planet, topic = topic_for(slug, topic_id, Action.COMMENT)
    form = CommentForm()

    def save():
        payload = {"topic_id": topic.id, "body": form.body.data, "parent_id": form.parent_id.data}
        held = moderation.hold_if_sensitive(
            planet, current_user, HeldKind.COMMENT, payload, form.body.data
        )
        return held or comments.add_comment(
            planet, current_user, topic, form.body.data, parent_id=form.parent_id.data
        )

    def done(created):
        if isinstance(created, HeldPost):
            return held_redirect(planet, _("comment")).location
        return topic_url(planet, topic, _anchor=f"c{created.id}")

    return form_flow(
        planet, form, _("Comment"), save=save, done=done, cancel=topic_url(planet, topic)
    )


def _like_objects(planet, topic_id, comment_id):
    if comment_id is not None:
        item, _topic = comment_or_404(planet, comment_id)
        return {"comment": item}, item
    item = topic_or_404(planet, topic_id)
    return {"topic": item}, item


def _like_response(planet, target, liked: bool, topic_id):
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        db.session.flush()
        db.session.refresh(target)
        return jsonify(liked=liked, like_count=target.like_count)
    page_topic = topic_id if topic_id is not None else target.topic_id
    return redirect_back(url_for("content.topic", slug=planet.slug, topic_id=page_topic))


def _set_like(slug, topic_id, comment_id, *, liked: bool):
    planet = writing(slug)
    objects, target = _like_objects(planet, topic_id, comment_id)
    (likes.like if liked else likes.unlike)(planet, current_user, **objects)
    return _like_response(planet, target, liked, topic_id)


@bp.post("/t/<int:topic_id>/like", defaults={"comment_id": None})
@bp.post("/c/<int:comment_id>/like", defaults={"topic_id": None})
def like(slug, topic_id, comment_id):
    return _set_like(slug, topic_id, comment_id, liked=True)


@bp.post("/t/<int:topic_id>/unlike", defaults={"comment_id": None})
@bp.post("/c/<int:comment_id>/unlike", defaults={"topic_id": None})
def unlike(slug, topic_id, comment_id):
    return _set_like(slug, topic_id, comment_id, liked=False)


@bp.route("/t/<int:topic_id>/edit", methods=["GET", "POST"])
def edit_topic(slug, topic_id):
    planet, topic = topic_for(slug, topic_id, Action.EDIT_CONTENT)
    form = EditTopicForm(obj=topic)
    return form_flow(
        planet,
        form,
        _("Edit"),
        save=lambda: topics.edit_topic(
            planet, current_user, topic, title=form.title.data, body=form.body.data
        ),
        done=topic_url(planet, topic),
        cancel=topic_url(planet, topic),
        message=_("Saved."),
    )


@bp.route("/c/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(slug, comment_id):
    planet = writing(slug)
    item, topic = comment_or_404(planet, comment_id)
    policy.require(current_user, Action.EDIT_CONTENT, planet, item)
    form = CommentForm(obj=item)
    del form.parent_id
    return form_flow(
        planet,
        form,
        _("Edit comment"),
        save=lambda: comments.edit_comment(planet, current_user, item, form.body.data),
        done=topic_url(planet, topic, _anchor=f"c{item.id}"),
        cancel=topic_url(planet, topic),
        message=_("Saved."),
    )


@bp.post("/t/<int:topic_id>/delete")
def delete_topic(slug, topic_id):
    planet = writing(slug)
    topic = topic_or_404(planet, topic_id)
    topics.delete_topic(planet, current_user, topic)
    return done(_("Deleted."), url_for("content.timeline", slug=planet.slug))


@bp.post("/c/<int:comment_id>/delete")
def delete_comment(slug, comment_id):
    planet = writing(slug)
    item, topic = comment_or_404(planet, comment_id)
    comments.delete_comment(planet, current_user, item)
    return done(_("Deleted."), topic_url(planet, topic))
