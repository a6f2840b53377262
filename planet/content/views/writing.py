"""Content views: timeline, topics, questions, comments, likes, moderation, search and files.

Thin: load the planet and the objects named in the URL (another planet's id is a 404), ask the
policy, call a service or a query, render. Reading pages send people who may not read the
planet to its landing page; every object is checked again with READ_TOPIC.
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.accounts.models import User
from planet.content import queries, services, uploads
from planet.content.forms import (
    AnswerForm,
    AskForm,
    CommentForm,
    EditTopicForm,
    ReportForm,
    TopicForm,
)
from planet.content.models import Comment, Report, Topic
from planet.errors import ServiceError
from planet.extensions import db
from planet.policy import Action
from planet.web.lookup import in_planet_or_404, planet_or_404
from planet.web.redirects import redirect_back

bp = Blueprint("content", __name__, url_prefix="/p/<slug>")

_KEY_SPLIT = re.compile(r"[\s,]+")


# ---------------------------------------------------------------- helpers


def _landing(planet):
    if "planets.landing" in current_app.view_functions:
        return redirect(url_for("planets.landing", slug=planet.slug))
    abort(403)


def _reading(slug: str):
    """(planet, None) for a reader, (planet, redirect to the landing page) for anyone else."""
    planet = planet_or_404(slug)
    if not policy.may(current_user, Action.READ, planet):
        return planet, _landing(planet)
    return planet, None


def _writing(slug: str):
    """Load the planet for a write; people who may not read it learn nothing more."""
    planet = planet_or_404(slug)
    policy.require(current_user, Action.READ, planet)
    return planet


def _topic_or_404(planet, topic_id: int, eager: bool = False) -> Topic:
    topic = queries.load_topic(topic_id) if eager else db.session.get(Topic, topic_id)
    if topic is None or topic.planet_id != planet.id:
        abort(404)
    policy.require(current_user, Action.READ_TOPIC, planet, topic)
    return topic


def _comment_or_404(planet, comment_id: int) -> tuple[Comment, Topic]:
    comment = in_planet_or_404(Comment, comment_id, planet)
    topic = _topic_or_404(planet, comment.topic_id)
    if comment.deleted_at is not None:
        abort(404)
    return comment, topic


def _readable(planet, topics):
    user = current_user._get_current_object()
    standing = policy.standing_of(user, planet)
    return [
        topic
        for topic in topics
        if policy.decide_with_standing(standing, user, Action.READ_TOPIC, planet, topic)
    ]


def _back(default: str):
    return redirect_back(default)


def _topic_url(planet, topic, **kwargs) -> str:
    return url_for("content.topic", slug=planet.slug, topic_id=topic.id, **kwargs)


def _user_id():
    return current_user.id if current_user.is_authenticated else None


def _feed_context(planet, page):
    pinned = _readable(planet, page.pinned)
    shown_above = {topic.id for topic in pinned}  # a pinned topic is not repeated below
    return {
        "topics": [t for t in _readable(planet, page.items) if t.id not in shown_above],
        "pinned": pinned,
        "liked": page.liked,
        "next_cursor": page.next_cursor,
    }


# ---------------------------------------------------------------- reading


@bp.get("/")
def timeline(slug):
    planet, away = _reading(slug)
    if away:
        return away
    view = request.args.get("filter", "all")
    if view not in ("all", "essence", "qa"):
        abort(400, description=_("Unknown filter."))
    after = request.args.get("after")
    page = queries.feed_page(
        planet,
        viewer_id=_user_id(),
        after=after,
        essence=view == "essence",
        questions=view == "qa",
        with_pinned=view == "all" and not after,
    )
    return render_template(
        "content/timeline.html",
        planet=planet,
        view=view,
        hashtags=tuple(queries.popular_hashtags(planet)),
        **_feed_context(planet, page),
    )


@bp.get("/t/<int:topic_id>")
def topic(slug, topic_id):
    planet, away = _reading(slug)
    if away:
        return away
    topic, liked = queries.topic_card(topic_id, _user_id())
    if topic is None or topic.planet_id != planet.id:
        abort(404)
    policy.require(current_user, Action.READ_TOPIC, planet, topic)
    page = queries.comments_page(topic, viewer_id=_user_id(), after=request.args.get("after"))
    return render_template(
        "content/topic.html",
        planet=planet,
        topic=topic,
        comments=page.items,
        replies=page.replies,
        next_cursor=page.next_cursor,
        liked={topic.id} if liked else set(),
        liked_comments=page.liked,
        comment_form=CommentForm(),
        answer_form=AnswerForm() if topic.is_question and not topic.answered_at else None,
    )


@bp.get("/questions")
def questions(slug):
    planet, away = _reading(slug)
    if away:
        return away
    show = request.args.get("show", "answered")
    after = request.args.get("after")
    if show == "answered":
        page = queries.feed_page(planet, viewer_id=_user_id(), after=after, questions=True)
    elif show == "waiting":
        page = queries.waiting_questions(planet, _user_id(), after=after)
    elif show == "mine":
        page = queries.my_questions(planet, _user_id(), after=after)
    else:
        abort(400, description=_("Unknown filter."))
    return render_template(
        "content/questions.html", planet=planet, show=show, **_feed_context(planet, page)
    )


@bp.get("/tags/<name>")
def tag(slug, name):
    planet, away = _reading(slug)
    if away:
        return away
    hashtag = queries.hashtag_by_name(planet, name.casefold()[:40])
    if hashtag is None:
        abort(404)
    page = queries.tag_page(planet, hashtag, viewer_id=_user_id(), after=request.args.get("after"))
    return render_template(
        "content/tag.html", planet=planet, hashtag=hashtag, **_feed_context(planet, page)
    )


@bp.get("/u/<int:user_id>")
def author(slug, user_id):
    planet, away = _reading(slug)
    if away:
        return away
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    page = queries.feed_page(
        planet, viewer_id=_user_id(), after=request.args.get("after"), author_id=person.id
    )
    return render_template(
        "content/author.html", planet=planet, person=person, **_feed_context(planet, page)
    )


@bp.get("/search")
def search(slug):
    planet, away = _reading(slug)
    if away:
        return away
    q = queries.clean_query(request.args.get("q", ""))
    context = {"topics": [], "pinned": [], "liked": set(), "next_cursor": None}
    if q:
        page = queries.search_page(planet, q, viewer_id=_user_id(), after=request.args.get("after"))
        context = _feed_context(planet, page)
    return render_template("content/search.html", planet=planet, q=q, **context)


@bp.get("/files/<key>")
def attachment(slug, key):
    planet = planet_or_404(slug)
    # Ask before looking the key up, so a guessed key tells an outsider nothing.
    policy.require(current_user, Action.DOWNLOAD_ATTACHMENT, planet)
    item = uploads.stored_in_planet(planet.id, key)
    if item is None:
        abort(404)
    policy.require(current_user, Action.DOWNLOAD_ATTACHMENT, planet, item)
    if item.topic_id is None:
        if item.uploader_id != _user_id():
            abort(404)  # not yet published: only its uploader sees it
    else:
        _topic_or_404(planet, item.topic_id)
    return uploads.send_stored(item)


# ---------------------------------------------------------------- writing


@bp.route("/new", methods=["GET", "POST"])
def new_topic(slug):
    planet = _writing(slug)
    policy.require(current_user, Action.POST_TOPIC, planet)
    form = TopicForm()
    if form.validate_on_submit():
        keys = [key for key in _KEY_SPLIT.split(form.attachment_keys.data or "") if key]
        created = services.create_topic(
            planet,
            current_user,
            title=form.title.data,
            body=form.body.data,
            images=request.files.getlist("images"),
            attachment_keys=keys,
            announce=bool(form.announce.data),
        )
        flash(_("Published."), "success")
        return redirect(_topic_url(planet, created))
    status = 400 if form.is_submitted() else 200
    return render_template("content/topic_form.html", planet=planet, form=form), status


@bp.post("/files")
def upload(slug):
    """Upload one image for the topic form; answers JSON with the key to send back."""
    planet = _writing(slug)
    policy.require(current_user, Action.POST_TOPIC, planet)
    files = [f for f in request.files.getlist("image") if uploads.has_file(f)]
    if len(files) != 1:
        raise ServiceError(_("Send exactly one image."))
    item = uploads.store_image(planet.id, current_user.id, files[0])
    url = url_for("content.attachment", slug=planet.slug, key=item.key)
    return jsonify(key=item.key, url=url, content_type=item.content_type), 201


@bp.route("/ask", methods=["GET", "POST"])
def ask(slug):
    planet = _writing(slug)
    policy.require(current_user, Action.ASK_QUESTION, planet)
    people = [
        (membership, person)
        for membership, person in services.question_addressees(planet)
        if person.id != current_user.id
    ]
    form = AskForm()
    form.addressee.choices = [(person.id, person.display_name) for _m, person in people]
    if request.method == "GET" and request.args.get("to", "").isdigit():
        form.addressee.data = int(request.args["to"])
    if form.validate_on_submit():
        created = services.ask_question(
            planet,
            current_user,
            addressee_id=form.addressee.data,
            body=form.body.data,
            anonymous=bool(form.anonymous.data),
        )
        flash(_("Your question was sent."), "success")
        return redirect(_topic_url(planet, created))
    status = 400 if form.is_submitted() else 200
    return render_template("content/ask.html", planet=planet, form=form, people=people), status


def _form_page(planet, form, title: str, action: str, status: int = 400, cancel=None):
    return (
        render_template(
            "content/form.html",
            planet=planet,
            form=form,
            title=title,
            action=action,
            cancel=cancel,
        ),
        status,
    )


@bp.post("/t/<int:topic_id>/answer")
def answer(slug, topic_id):
    planet = _writing(slug)
    topic = _topic_or_404(planet, topic_id)
    policy.require(current_user, Action.ANSWER_QUESTION, planet, topic)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _form_page(planet, form, _("Answer"), request.path, cancel=_topic_url(planet, topic))
    services.answer_question(planet, current_user, topic, form.body.data)
    flash(_("Answered. The question is now in the timeline."), "success")
    return redirect(_topic_url(planet, topic))


@bp.post("/t/<int:topic_id>/comments")
def comment(slug, topic_id):
    planet = _writing(slug)
    topic = _topic_or_404(planet, topic_id)
    policy.require(current_user, Action.COMMENT, planet, topic)
    form = CommentForm()
    if not form.validate_on_submit():
        return _form_page(
            planet, form, _("Comment"), request.path, cancel=_topic_url(planet, topic)
        )
    created = services.add_comment(
        planet, current_user, topic, form.body.data, parent_id=form.parent_id.data
    )
    return redirect(_topic_url(planet, topic, _anchor=f"c{created.id}"))


def _like_objects(planet, topic_id, comment_id):
    if comment_id is not None:
        item, _topic = _comment_or_404(planet, comment_id)
        return {"comment": item}, item
    item = _topic_or_404(planet, topic_id)
    return {"topic": item}, item


def _like_response(planet, target, liked: bool, topic_id):
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        db.session.flush()
        db.session.refresh(target)
        return jsonify(liked=liked, like_count=target.like_count)
    page_topic = topic_id if topic_id is not None else target.topic_id
    return _back(url_for("content.topic", slug=planet.slug, topic_id=page_topic))


@bp.post("/t/<int:topic_id>/like", defaults={"comment_id": None})
@bp.post("/c/<int:comment_id>/like", defaults={"topic_id": None})
def like(slug, topic_id, comment_id):
    planet = _writing(slug)
    objects, target = _like_objects(planet, topic_id, comment_id)
    services.like(planet, current_user, **objects)
    return _like_response(planet, target, True, topic_id)


@bp.post("/t/<int:topic_id>/unlike", defaults={"comment_id": None})
@bp.post("/c/<int:comment_id>/unlike", defaults={"topic_id": None})
def unlike(slug, topic_id, comment_id):
    planet = _writing(slug)
    objects, target = _like_objects(planet, topic_id, comment_id)
    services.unlike(planet, current_user, **objects)
    return _like_response(planet, target, False, topic_id)


@bp.post("/t/<int:topic_id>/feature")
def feature(slug, topic_id):
    planet = _writing(slug)
    topic = _topic_or_404(planet, topic_id)
    what = request.form.get("what", "")
    on = request.form.get("on", "")
    if what not in ("essence", "pin") or on not in ("0", "1"):
        abort(400, description=_("Choose essence or pin."))
    services.set_featured(planet, current_user, topic, what=what, on=on == "1")
    return _back(_topic_url(planet, topic))


@bp.route("/t/<int:topic_id>/edit", methods=["GET", "POST"])
def edit_topic(slug, topic_id):
    planet = _writing(slug)
    topic = _topic_or_404(planet, topic_id)
    policy.require(current_user, Action.EDIT_CONTENT, planet, topic)
    form = EditTopicForm(obj=topic)
    if form.validate_on_submit():
        services.edit_topic(planet, current_user, topic, title=form.title.data, body=form.body.data)
        flash(_("Saved."), "success")
        return redirect(_topic_url(planet, topic))
    status = 400 if form.is_submitted() else 200
    return _form_page(
        planet, form, _("Edit"), request.path, status, cancel=_topic_url(planet, topic)
    )


@bp.route("/t/<int:topic_id>/answer/edit", methods=["GET", "POST"])
def edit_answer(slug, topic_id):
    planet = _writing(slug)
    topic = _topic_or_404(planet, topic_id, eager=True)
    if topic.answer is None:
        abort(404)
    policy.require(current_user, Action.EDIT_CONTENT, planet, topic.answer)
    form = AnswerForm(obj=topic.answer)
    if form.validate_on_submit():
        services.edit_answer(planet, current_user, topic, topic.answer, form.body.data)
        flash(_("Saved."), "success")
        return redirect(_topic_url(planet, topic))
    status = 400 if form.is_submitted() else 200
    return _form_page(
        planet, form, _("Edit answer"), request.path, status, cancel=_topic_url(planet, topic)
    )


@bp.route("/c/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(slug, comment_id):
    planet = _writing(slug)
    item, topic = _comment_or_404(planet, comment_id)
    policy.require(current_user, Action.EDIT_CONTENT, planet, item)
    form = CommentForm(obj=item)
    del form.parent_id
    if form.validate_on_submit():
        services.edit_comment(planet, current_user, item, form.body.data)
        flash(_("Saved."), "success")
        return redirect(_topic_url(planet, topic, _anchor=f"c{item.id}"))
    status = 400 if form.is_submitted() else 200
    return _form_page(
        planet, form, _("Edit comment"), request.path, status, cancel=_topic_url(planet, topic)
    )


@bp.post("/t/<int:topic_id>/delete")
def delete_topic(slug, topic_id):
    planet = _writing(slug)
    topic = _topic_or_404(planet, topic_id)
    services.delete_topic(planet, current_user, topic)
    flash(_("Deleted."), "success")
    return redirect(url_for("content.timeline", slug=planet.slug))


@bp.post("/t/<int:topic_id>/answer/delete")
def delete_answer(slug, topic_id):
    planet = _writing(slug)
    topic = _topic_or_404(planet, topic_id, eager=True)
    services.delete_answer(planet, current_user, topic, topic.answer)
    flash(_("The answer was withdrawn; the question is open again."), "success")
    return redirect(_topic_url(planet, topic))


@bp.post("/c/<int:comment_id>/delete")
def delete_comment(slug, comment_id):
    planet = _writing(slug)
    item, topic = _comment_or_404(planet, comment_id)
    services.delete_comment(planet, current_user, item)
    flash(_("Deleted."), "success")
    return redirect(_topic_url(planet, topic))


@bp.route("/t/<int:topic_id>/report", methods=["GET", "POST"], defaults={"comment_id": None})
@bp.route("/c/<int:comment_id>/report", methods=["GET", "POST"], defaults={"topic_id": None})
def report(slug, topic_id, comment_id):
    planet = _writing(slug)
    if comment_id is not None:
        item, topic = _comment_or_404(planet, comment_id)
        objects = {"comment": item}
    else:
        item = topic = _topic_or_404(planet, topic_id)
        objects = {"topic": item}
    policy.require(current_user, Action.REPORT, planet, item)
    form = ReportForm()
    if form.validate_on_submit():
        services.file_report(planet, current_user, reason=form.reason.data, **objects)
        flash(_("Thank you. The moderators will look at it."), "success")
        return redirect(_topic_url(planet, topic))
    status = 400 if form.is_submitted() else 200
    return _form_page(
        planet, form, _("Report"), request.path, status, cancel=_topic_url(planet, topic)
    )


@bp.get("/reports")
def reports(slug):
    planet = _writing(slug)
    policy.require(current_user, Action.MODERATE, planet)
    page = queries.open_reports(planet, after=request.args.get("after"))
    return render_template(
        "content/reports.html", planet=planet, reports=page.items, next_cursor=page.next_cursor
    )


@bp.post("/reports/<int:report_id>/resolve")
def resolve_report(slug, report_id):
    planet = _writing(slug)
    item = in_planet_or_404(Report, report_id, planet)
    services.resolve_report(planet, current_user, item)
    flash(_("The content was deleted and the report closed."), "success")
    return redirect(url_for("content.reports", slug=planet.slug))


@bp.post("/reports/<int:report_id>/dismiss")
def dismiss_report(slug, report_id):
    planet = _writing(slug)
    item = in_planet_or_404(Report, report_id, planet)
    services.dismiss_report(planet, current_user, item)
    flash(_("The report was dismissed."), "success")
    return redirect(url_for("content.reports", slug=planet.slug))
