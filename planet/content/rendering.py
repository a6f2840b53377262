"""Lists of cards and comments for the content templates, as cached fragments.

The view has already asked the policy whether the viewer may read each topic; here the policy
answers what the viewer may do with each item (like, reply, edit, delete, report), once per
item, and those answers are part of each fragment's key (planet/web/fragments.py).
"""

from __future__ import annotations

from flask import request
from flask_login import current_user
from markupsafe import Markup

from planet import policy
from planet.content.cards import CommentActions, TopicActions
from planet.policy import Action
from planet.web.fragments import render_fragments
from planet.web.links import planet_links
from planet.web.sessions import csrf_token

CARDS = "content/_cards.html"


def topic_cards(planet, topics, liked) -> Markup:
    """List cards (timeline, tags, search, Q&A, an author's topics)."""
    may_like = policy.may(current_user, Action.LIKE, planet)
    links = planet_links(planet)
    calls = [(links, topic, topic.id in liked, may_like) for topic in topics]
    return render_fragments(CARDS, "topic_card", calls, csrf=csrf_token(), next=request.full_path)


def topic_actions(planet, topic, in_column: bool) -> TopicActions:
    user = current_user._get_current_object()
    answer = topic.answer

    def may(action, target=None) -> bool:
        return policy.may(user, action, planet, target)

    return TopicActions(
        like=may(Action.LIKE),
        edit=may(Action.EDIT_CONTENT, topic) and not (topic.is_question and topic.answered_at),
        delete=may(Action.DELETE_CONTENT, topic),
        report=may(Action.REPORT, topic),
        feature=topic.in_feed and may(Action.FEATURE_TOPIC, topic),
        add_to_column=topic.in_feed and not in_column and may(Action.MANAGE_COLUMNS),
        edit_answer=answer is not None and may(Action.EDIT_CONTENT, answer),
        withdraw_answer=answer is not None
        and not topic.paid_status
        and may(Action.DELETE_CONTENT, answer),
    )


def full_topic(planet, topic, liked: bool, place) -> Markup:
    """The topic page's card: the whole text and the actions this viewer may take; `place`:
    the topic's place in a column, if any."""
    allowed = topic_actions(planet, topic, in_column=place is not None)
    return render_fragments(
        CARDS, "full_topic", [(planet_links(planet), topic, liked, allowed)], csrf=csrf_token()
    )


def comment_actions(planet, topic, comments) -> dict[int, CommentActions]:
    user = current_user._get_current_object()
    may_like = policy.may(user, Action.LIKE, planet)
    may_reply = policy.may(user, Action.COMMENT, planet, topic)
    edit, delete, report = (
        policy.allowed_each(user, action, planet, comments)
        for action in (Action.EDIT_CONTENT, Action.DELETE_CONTENT, Action.REPORT)
    )
    return {
        comment.id: CommentActions(like=may_like, reply=may_reply, edit=e, delete=d, report=r)
        for comment, e, d, r in zip(comments, edit, delete, report, strict=True)
    }


def comment_thread(planet, topic, comments, replies, liked) -> Markup:
    """Top-level comments, each followed by its replies."""
    links = planet_links(planet)
    everyone = [*comments, *(reply for comment in comments for reply in replies[comment.id])]
    actions = comment_actions(planet, topic, everyone)
    calls = []
    for comment in comments:
        calls.append((links, comment, comment.id in liked, actions[comment.id], False))
        calls += [
            (links, reply, reply.id in liked, actions[reply.id], True)
            for reply in replies[comment.id]
        ]
    return render_fragments(CARDS, "comment_block", calls, csrf=csrf_token())


def init_app(app) -> None:
    app.add_template_global(topic_cards)
    app.add_template_global(comment_thread)
    app.add_template_global(full_topic)
