"""Reading a planet: the timeline, a topic page, tags, authors, search and files."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from planet import policy
from planet.accounts.models import User
from planet.content import uploads, watermark
from planet.content.columns import queries as column_queries
from planet.content.library import services as library
from planet.content.queries.feed import feed_page, hashtag_by_name, popular_hashtags, tag_page
from planet.content.queries.paging import Page
from planet.content.queries.search import clean_query, search_page
from planet.content.queries.topic_page import comments_page, planet_topic_card
from planet.content.services import paid_questions as paid
from planet.content.views.common import (
    bp,
    feed_context,
    front_reader,
    liked_any,
    note_cards,
    reading,
    topic_or_404,
    viewer_id,
)
from planet.engagement.insights.landing_views import count_topic_read, topic_read_noted
from planet.extensions import db
from planet.planets.lookup import planet_or_404
from planet.policy import Action
from planet.web import pagecache, pagefront


@bp.get("/")
def timeline(slug):
    planet, away = reading(slug)
    if away:
        return away
    return pagecache.serve(planet, lambda: _timeline(planet), liked_any)


def _timeline(planet):
    view = request.args.get("filter", "all")
    if view not in ("all", "essence", "qa"):
        abort(400, description=_("Unknown filter."))
    page = feed_page(
        planet,
        viewer_id=viewer_id(),
        after=request.args.get("after"),
        essence=view == "essence",
        questions=view == "qa",
        with_pinned=True,  # feed_page shows them on the whole timeline's first page only
    )
    context = feed_context(planet, page)
    note_cards([*context["pinned"], *context["topics"]], context["liked"])
    return render_template(
        "content/timeline.html",
        planet=planet,
        view=view,
        hashtags=tuple(popular_hashtags(planet)),
        **context,
    )


@bp.get("/t/<int:topic_id>")
def topic(slug, topic_id):
    planet, away = reading(slug)
    topic, liked = planet_topic_card(planet, topic_id, viewer_id())
    if away and not (topic and policy.may(current_user, Action.READ_TOPIC, planet, topic)):
        return away  # only a visitor's own paid question is open to them
    if topic is None or topic.planet_id != planet.id:
        abort(404)
    policy.require(current_user, Action.READ_TOPIC, planet, topic)
    access = paid.answer_access(topic, viewer_id())
    if topic.answer is not None and not policy.may(
        current_user, Action.READ_ANSWER, planet, access
    ):
        topic = topic.without_answer()
    if current_user.is_authenticated and current_user.id != topic.author_id:
        count_topic_read(planet, topic.id, current_user.id)  # the owner's weekly report
    if away:  # a visitor reads their question and its answer, nothing else of the planet
        return _topic_page(planet, topic, liked, access, away)
    return pagecache.serve(
        planet, lambda: _topic_page(planet, topic, liked, access, away), liked_any
    )


def _topic_page(planet, topic, liked, access, away):
    if away:
        page = Page(items=[])
    else:
        page = comments_page(topic, viewer_id=viewer_id(), after=request.args.get("after"))
    comments = [*page.items, *(reply for replies in page.replies.values() for reply in replies)]
    files = [(f, None) for f in library.of_topic(topic.id)] if topic.has_files and not away else []
    if liked is None:  # the card came from the cache, without the viewer's like
        liked = pagecache.hinted_liked((topic.id,), ())  # asked with the viewer, if so
        if liked is None:
            liked = viewer_id() is not None and liked_any(viewer_id(), (topic.id,), ())
    note_cards([topic], liked)
    pagecache.note(
        people={comment.author.id for comment in comments} | {f.author_id for f, _ in files},
        comment_ids=[comment.id for comment in comments],
        liked=bool(page.liked),
    )
    place = column_queries.place_of(topic.id) if topic.in_column else None
    return render_template(
        "content/topic.html",
        planet=planet,
        topic=topic,
        comments=page.items,
        replies=page.replies,
        next_cursor=page.next_cursor,
        liked={topic.id} if liked else set(),
        liked_comments=page.liked,
        visitor=bool(away),
        peek=access,
        place=place,
        files=files,
        mark=watermark.mark_for(planet, current_user)
        if planet.watermark and current_user.is_authenticated
        else None,
    )


def _read_counted(planet, view_args) -> bool:
    return topic_read_noted(planet, view_args["topic_id"], current_user.id)


# Hits answered before the app (planet/web/pagefront.py): each view above checks no more than
# READ before `serve` for a viewer the stored page does not bypass (the topic's author is
# among the page's people, so the topic's READ_TOPIC needs no topic here). A topic read not
# counted yet today goes to the app, which counts it.
for _endpoint, _answerable in (
    ("content.timeline", None),
    ("content.topic", _read_counted),
    ("content.tag", None),
    ("content.author", None),
):
    pagefront.serve_in_front(_endpoint, pagefront.FrontPage(front_reader, liked_any, _answerable))


def _files_of(topic) -> list:
    """The topic's library files, as the file list shows them (no query when it has none)."""
    return [(f, None) for f in library.of_topic(topic.id)] if topic.has_files else []


@bp.get("/tags/<name>")
def tag(slug, name):
    planet, away = reading(slug)
    if away:
        return away
    hashtag = hashtag_by_name(planet, name.casefold()[:40])
    if hashtag is None:
        abort(404)
    return pagecache.serve(planet, lambda: _tag(planet, hashtag), liked_any)


def _tag(planet, hashtag):
    page = tag_page(planet, hashtag, viewer_id=viewer_id(), after=request.args.get("after"))
    context = feed_context(planet, page)
    note_cards(context["topics"], context["liked"])
    return render_template("content/tag.html", planet=planet, hashtag=hashtag, **context)


@bp.get("/u/<int:user_id>")
def author(slug, user_id):
    planet, away = reading(slug)
    if away:
        return away
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    return pagecache.serve(planet, lambda: _author(planet, person), liked_any)


def _author(planet, person):
    page = feed_page(
        planet, viewer_id=viewer_id(), after=request.args.get("after"), author_id=person.id
    )
    context = feed_context(planet, page)
    note_cards(context["topics"], context["liked"])
    pagecache.note(people=[person.id])
    return render_template("content/author.html", planet=planet, person=person, **context)


@bp.get("/search")
def search(slug):
    planet, away = reading(slug)
    if away:
        return away
    q = clean_query(request.args.get("q", ""))
    context = {"topics": [], "pinned": [], "liked": set(), "next_cursor": None}
    files = []
    if q:
        page = search_page(planet, q, viewer_id=viewer_id(), after=request.args.get("after"))
        context = feed_context(planet, page)
        if request.args.get("after") is None:
            files = library.listing(planet, q=q)[0][: library.SEARCH_FILES]
    return render_template("content/search.html", planet=planet, q=q, files=files, **context)


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
        if item.uploader_id != viewer_id():
            abort(404)  # not yet published: only its uploader sees it
    else:
        topic_or_404(planet, item.topic_id)
    return watermark.send_to_reader(planet, item, current_user)
