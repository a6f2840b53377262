"""The content blueprint and what every content route shares.

Thin views: load the planet and the objects named in the URL (another planet's id is a 404), ask
the policy, call a service or a query, render. Reading pages send people who may not read the
planet to its landing page; every object is checked again with READ_TOPIC.
"""

from __future__ import annotations

import functools

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, exists, or_, select

from planet import policy
from planet.content.models import Comment, Like, Topic
from planet.content.queries.rows import fetch
from planet.content.queries.topic_page import load_topic
from planet.content.services import paid_questions as paid
from planet.dbutil import among_ids
from planet.extensions import db
from planet.members import referrals
from planet.planets import lookup
from planet.planets.lookup import in_planet_or_404, planet_or_404
from planet.policy import Action
from planet.web import pagecache

bp = Blueprint("content", __name__, url_prefix="/p/<slug>")


def landing(planet):
    if "planets.landing" in current_app.view_functions:
        # A share link to the planet (/p/<slug>?ref=...) keeps its referral code.
        ref = referrals.valid_code(planet.id, request.args.get("ref"))
        return redirect(url_for("planets.landing", slug=planet.slug, ref=ref))
    abort(403)


def _liked_among(user, dialect: str):
    """Did `user` (a column or a bound id) like any of the topics `topic_ids` or comments
    `comment_ids`? Two EXISTS, each answered by its unique (user_id, target) index: with an
    OR inside one EXISTS, PostgreSQL may scan all of the user's likes instead."""
    return or_(
        exists().where(Like.user_id == user, among_ids(Like.topic_id, "topic_ids", dialect)),
        exists().where(Like.user_id == user, among_ids(Like.comment_id, "comment_ids", dialect)),
    )


@functools.cache
def _reader_statement(dialect: str):
    """The viewer, the planet, their membership and whether they liked any of the items the
    page probably shows: a shared page's hit runs this one statement (planet/web/pagecache.py).
    Its SQL is the same whatever the number of ids, so PostgreSQL prepares it once."""
    from planet.accounts.models import User

    return lookup.reader_statement(_liked_among(User.id, dialect))


@functools.cache
def _front_reader_statement(dialect: str):
    """`_reader_statement` for the member page front (planet/web/pagefront.py)."""
    from planet.accounts.models import User

    return lookup.front_reader_statement(_liked_among(User.id, dialect))


@functools.cache
def _liked_any_statement(dialect: str):
    return select(_liked_among(bindparam("viewer"), dialect).label("liked"))


def _load_reader(slug: str) -> None:
    # Nothing stored for this page yet (or the cache off): ask about the topic the URL names,
    # which a topic page otherwise asks in a statement of its own (`liked_any`).
    topic_id = request.view_args.get("topic_id") if request.view_args else None
    ids = pagecache.likes_hint() or (() if topic_id is None else (topic_id,), ())
    extra = lookup.load_reader(
        _reader_statement(db.engine.dialect.name),
        slug,
        topic_ids=list(ids[0]),
        comment_ids=list(ids[1]),
    )
    if extra is not None:
        pagecache.hint_liked(ids, bool(extra[0]))


def front_reader(view_args) -> object | None:
    """The front's `load` for a reading page: the planet for a viewer who may read it, with
    whether they liked the items the page probably shows; None sends the request to the app
    (which then says why)."""
    ids = pagecache.likes_hint() or ((), ())
    loaded = lookup.load_reader_detached(
        _front_reader_statement(db.engine.dialect.name),
        view_args["slug"],
        topic_ids=list(ids[0]),
        comment_ids=list(ids[1]),
    )
    if loaded is None:
        return None
    planet, extra = loaded
    pagecache.hint_liked(ids, bool(extra[0]))
    return planet if policy.may(current_user, Action.READ, planet) else None


def reading(slug: str):
    """(planet, None) for a reader, (planet, redirect to the landing page) for anyone else."""
    if request.method == "GET":
        _load_reader(slug)
    planet = planet_or_404(slug)
    if not policy.may(current_user, Action.READ, planet):
        return planet, landing(planet)
    return planet, None


def writing(slug: str):
    """Load the planet for a write; people who may not read it learn nothing more."""
    planet = planet_or_404(slug)
    policy.require(current_user, Action.READ, planet)
    return planet


def topic_for(slug: str, topic_id: int, action: Action):
    """(planet, topic) for a write on the topic: the planet and topic are readable (else 404)
    and the policy allows `action` on the topic (else 403)."""
    planet = writing(slug)
    topic = topic_or_404(planet, topic_id)
    policy.require(current_user, action, planet, topic)
    return planet, topic


def topic_or_404(planet, topic_id: int, eager: bool = False) -> Topic:
    topic = load_topic(topic_id) if eager else db.session.get(Topic, topic_id)
    if topic is None or topic.planet_id != planet.id:
        abort(404)
    policy.require(current_user, Action.READ_TOPIC, planet, topic)
    return topic


def comment_or_404(planet, comment_id: int) -> tuple[Comment, Topic]:
    comment = in_planet_or_404(Comment, comment_id, planet)
    topic = topic_or_404(planet, comment.topic_id)
    if comment.deleted_at is not None:
        abort(404)
    return comment, topic


def readable(planet, topics):
    allowed = policy.allowed_each(current_user, Action.READ_TOPIC, planet, topics)
    return [topic for topic, may_read in zip(topics, allowed, strict=True) if may_read]


def topic_url(planet, topic, **kwargs) -> str:
    return url_for("content.topic", slug=planet.slug, topic_id=topic.id, **kwargs)


def viewer_id():
    return current_user.id if current_user.is_authenticated else None


def feed_context(planet, page):
    pinned = readable(planet, page.pinned)
    shown_above = {topic.id for topic in pinned}  # a pinned topic is not repeated below
    user = current_user._get_current_object()
    topics = [t for t in readable(planet, page.items) if t.id not in shown_above]
    return {
        "topics": paid.hide_private_answers(planet, user, topics),
        "pinned": pinned,
        "liked": page.liked,
        "next_cursor": page.next_cursor,
    }


def people_of(topics) -> set[int]:
    """Whose items the cards show: their authors, the guests asked, the answers' authors."""
    people = set()
    for topic in topics:
        people.add(topic.author.id)
        if topic.addressee is not None:
            people.add(topic.addressee.id)
        if topic.answer is not None:
            people.add(topic.answer.author.id)
    return people


def note_cards(topics, liked) -> None:
    """Tell the page cache what a list of cards holds (planet/web/pagecache.py). A paid
    question's card counts down to its deadline and a private answer shows to those who
    bought a peek, so a page with either is not shared."""
    topics = list(topics)
    pagecache.note(
        people=people_of(topics),
        topic_ids=[topic.id for topic in topics],
        liked=bool(liked),
        shared=not any(
            topic.paid_status or topic.due_at or topic.answer_private for topic in topics
        ),
    )


def liked_any(viewer: int, topic_ids: tuple[int, ...], comment_ids: tuple[int, ...]) -> bool:
    """Did the viewer like any of these items? (The page cache's question on a hit.)"""
    statement = _liked_any_statement(db.engine.dialect.name)
    ids = {"viewer": viewer, "topic_ids": list(topic_ids), "comment_ids": list(comment_ids)}
    return bool(fetch(statement, ids)[0].liked)


def form_page(planet, form, title: str, action: str, status: int = 400, cancel=None):
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


def form_flow(planet, form, title: str, *, save, done, cancel: str, message: str | None = None):
    """The one form round trip: a valid POST calls ``save()``, flashes ``message`` (if any) and
    goes to ``done`` (a URL, or a function of what ``save()`` returned); a GET shows the form
    (200) and an invalid POST shows it again (400)."""
    if form.validate_on_submit():
        result = save()
        if message is not None:
            flash(message, "success")
        return redirect(done(result) if callable(done) else done)
    status = 400 if form.is_submitted() else 200
    return form_page(planet, form, title, request.path, status, cancel=cancel)


def done(message: str, url: str):
    """Flash a success message and go to ``url``: the end of every content action."""
    flash(message, "success")
    return redirect(url)
