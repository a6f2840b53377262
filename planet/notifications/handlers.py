"""Job handlers that turn events into notifications. Each one asks planet.policy whether the
recipient may see the content at the moment it runs, and is safe to run twice (dedupe keys).
Handlers flush; the job runner commits (workers.relay). Each job name here has this one handler
(planet.jobs); other reactions to the same event (engagement's activity) have their own names."""

from __future__ import annotations

from sqlalchemy import select

from planet import jobs, policy
from planet.accounts.models import User
from planet.content.models import Comment, Report, Topic
from planet.extensions import db
from planet.models import utcnow
from planet.notifications import services
from planet.notifications.models import Kind
from planet.planets.models import Membership, MembershipStatus, Planet
from planet.web.links import external_url


def _topic_link(planet: Planet, topic_id: int, anchor: str | None = None) -> str:
    return external_url("content.topic", slug=planet.slug, topic_id=topic_id, _anchor=anchor)


def _may_read(user_id: int, planet: Planet, topic: Topic) -> bool:
    user = db.session.get(User, user_id)
    return user is not None and policy.may(user, policy.Action.READ_TOPIC, planet, topic)


@jobs.handler("notifications.member_joined")
def member_joined(planet_id: int, user_id: int) -> None:
    planet = db.session.get(Planet, planet_id)
    joiner = db.session.get(User, user_id)
    if planet is None or joiner is None or planet.owner_id == user_id:
        return
    services.notify_member_joined(planet, planet.owner_id, joiner)


def _tell_reader(user_id: int, kind: Kind, key: str, planet: Planet, topic: Topic, sender, **data):
    """Notify `user_id` about `topic`, if the policy lets them read it now. `data` goes with
    the notice after the topic's link (`link=` in it replaces that link)."""
    if not _may_read(user_id, planet, topic):
        return
    services.notify(
        user_id,
        kind,
        key,
        planet=planet,
        actor=sender,
        topic_id=topic.id,
        data={"link": _topic_link(planet, topic.id), **data},
    )


@jobs.handler("notifications.question_asked")
def question_asked(topic_id: int, **_ignored) -> None:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.addressee_id is None:
        return
    planet = db.session.get(Planet, topic.planet_id)
    actor = None if topic.is_anonymous else db.session.get(User, topic.author_id)
    name = actor.display_name if actor else ""
    key = f"asked:{topic.id}"
    _tell_reader(topic.addressee_id, Kind.QUESTION_ASKED, key, planet, topic, actor, actor=name)


@jobs.handler("notifications.question_answered")
def question_answered(topic_id: int, **_ignored) -> None:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.answered_at is None:
        return
    planet = db.session.get(Planet, topic.planet_id)
    actor = db.session.get(User, topic.addressee_id) if topic.addressee_id else None
    key = f"answered:{topic.id}"
    _tell_reader(topic.author_id, Kind.QUESTION_ANSWERED, key, planet, topic, actor)


def _mentions(planet: Planet, topic: Topic, actor_id: int, user_ids, source: str) -> None:
    actor = db.session.get(User, actor_id)
    for user_id in sorted(set(user_ids or ())):
        if user_id != actor_id:
            key = f"mention:{source}:{user_id}"
            _tell_reader(user_id, Kind.MENTION, key, planet, topic, actor)


@jobs.handler("notifications.comment_created")
def comment_created(comment_id: int, mentioned_user_ids=(), **_ignored) -> None:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.deleted_at is not None:
        return
    topic = db.session.get(Topic, comment.topic_id)
    planet = db.session.get(Planet, comment.planet_id)
    if topic is None or planet is None:
        return
    actor = db.session.get(User, comment.author_id)
    link = _topic_link(planet, topic.id, anchor=f"c{comment.id}")
    told = {comment.author_id}
    if comment.parent_id is not None:
        parent = db.session.get(Comment, comment.parent_id)
        if parent is not None and parent.author_id not in told:
            told.add(parent.author_id)
            key = f"reply:{comment.id}"
            _tell_reader(parent.author_id, Kind.COMMENT_REPLY, key, planet, topic, actor, link=link)
    if topic.author_id not in told:
        key = f"comment:{comment.id}"
        _tell_reader(topic.author_id, Kind.TOPIC_COMMENT, key, planet, topic, actor, link=link)
    _mentions(planet, topic, comment.author_id, mentioned_user_ids, f"c{comment.id}")


@jobs.handler("notifications.topic_created")
def topic_created(topic_id: int, mentioned_user_ids=(), **_ignored) -> None:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.deleted_at is not None:
        return
    planet = db.session.get(Planet, topic.planet_id)
    _mentions(planet, topic, topic.author_id, mentioned_user_ids, f"t{topic.id}")


def _staff_of(planet_id: int) -> list[Membership]:
    """Active memberships holding a staff role: candidates for staff notifications (a
    prefilter only; the policy decides who actually moderates)."""
    return list(
        db.session.scalars(
            select(Membership).where(
                Membership.planet_id == planet_id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role.in_(policy.STAFF),
            )
        )
    )


@jobs.handler("content.report_filed")
def report_filed(report_id: int, **_ignored) -> None:
    report = db.session.get(Report, report_id)
    if report is None:
        return
    planet = db.session.get(Planet, report.planet_id)
    for membership in _staff_of(planet.id):
        user = db.session.get(User, membership.user_id)
        if user is None or not policy.may(user, policy.Action.MODERATE, planet):
            continue
        services.notify(
            user.id,
            Kind.REPORT_FILED,
            f"report:{report.id}:{user.id}",
            planet=planet,
            data={"link": external_url("content.reports", slug=planet.slug)},
        )


def _active_members(planet: Planet, action, target=None):
    """The planet's active members who may do `action` (the policy decides, from each one's
    membership row), as (membership, user) in batches of 500 by membership id: one query a
    batch, whatever the planet's size."""
    now = utcnow()
    after = 0
    while True:
        rows = db.session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.planet_id == planet.id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.id > after,
            )
            .order_by(Membership.id)
            .limit(500)
        ).all()
        if not rows:
            return
        yield [
            (membership, user)
            for membership, user in rows
            if policy.decide_with_standing(
                policy.standing_from_membership(user, membership, now), user, action, planet, target
            )
        ]
        after = rows[-1][0].id


@jobs.handler("content.announcement")
def announcement(topic_id: int, **_ignored) -> None:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.deleted_at is not None:
        return
    planet = db.session.get(Planet, topic.planet_id)
    link = _topic_link(planet, topic.id)
    for batch in _active_members(planet, policy.Action.READ_TOPIC, topic):
        notices = [
            services.Notice(
                user.id,
                f"announce:{topic.id}:{user.id}",
                planet=planet,
                topic_id=topic.id,
                data={"link": link},
            )
            for _membership, user in batch
            if user.id != topic.author_id
        ]
        # The mail carries the announcement's title and text (services._announcements).
        services.notify_many(Kind.ANNOUNCEMENT, notices)


# ---------------------------------------------------------------- community reminders


def _active_member(planet: Planet, user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or not policy.may(user, policy.Action.READ, planet):
        return None
    return user


def _remind_about(model, item_id: int, user_id: int, kind: Kind, key: str, link: tuple) -> None:
    """Remind a member still active in the item's planet about a challenge or an event: its
    title and a link to its page (`link`: the endpoint and the name of its id argument)."""
    item = db.session.get(model, item_id)
    planet = item and db.session.get(Planet, item.planet_id)
    if planet is None or _active_member(planet, user_id) is None:
        return
    endpoint, id_name = link
    services.notify(
        user_id,
        kind,
        key,
        planet=planet,
        data={
            "title": item.title,
            "link": external_url(endpoint, slug=planet.slug, **{id_name: item.id}),
        },
    )


@jobs.handler("engagement.checkin_reminder")
def checkin_reminder(challenge_id: int, user_id: int, day: str, **_ignored) -> None:
    from planet.engagement.checkins.models import Challenge

    key = f"checkin:{challenge_id}:{user_id}:{day}"
    link = ("engagement.challenge", "cid")
    _remind_about(Challenge, challenge_id, user_id, Kind.CHECKIN_REMINDER, key, link)


@jobs.handler("engagement.event_reminder")
def event_reminder(event_id: int, user_id: int, starts_at: str, **_ignored) -> None:
    from planet.engagement.events.models import Event

    key = f"event:{event_id}:{user_id}:{starts_at}"
    link = ("engagement.event", "eid")
    _remind_about(Event, event_id, user_id, Kind.EVENT_REMINDER, key, link)


@jobs.handler("engagement.introduction_reminder")
def introduction_reminder(planet_id: int, user_id: int, **_ignored) -> None:
    planet = db.session.get(Planet, planet_id)
    if planet is None or _active_member(planet, user_id) is None:
        return
    day = utcnow().date().isoformat()
    services.notify(
        user_id,
        Kind.INTRODUCTION_REMINDER,
        f"intro:{planet_id}:{user_id}:{day}",
        planet=planet,
        data={"link": external_url("engagement.introduce", slug=planet.slug)},
    )


# ---------------------------------------------------------------- homework and messages


@jobs.handler("engagement.assignment_posted")
def assignment_posted(assignment_id: int, **_ignored) -> None:
    """Tell every member who may hand the assignment in (the policy decides), in batches."""
    from planet.engagement.homework.models import Assignment

    assignment = db.session.get(Assignment, assignment_id)
    planet = assignment and db.session.get(Planet, assignment.planet_id)
    if planet is None:
        return
    author = db.session.get(User, assignment.author_id)
    link = external_url("engagement.assignment", slug=planet.slug, aid=assignment.id)
    for batch in _active_members(planet, policy.Action.SUBMIT_HOMEWORK):
        notices = [
            services.Notice(
                user.id,
                f"assignment:{assignment.id}:{user.id}",
                planet=planet,
                actor=author,
                data={"title": assignment.title, "link": link},
            )
            for _membership, user in batch
            if user.id != assignment.author_id
        ]
        services.notify_many(Kind.ASSIGNMENT_POSTED, notices)


@jobs.handler("engagement.homework_graded")
def homework_graded(submission_id: int, **_ignored) -> None:
    """Tell the member who handed the work in that it was graded (once per hand-in)."""
    from planet.engagement.homework.models import Assignment, Submission

    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.graded_at is None:
        return
    assignment = db.session.get(Assignment, submission.assignment_id)
    planet = db.session.get(Planet, submission.planet_id)
    if assignment is None or planet is None or _active_member(planet, submission.user_id) is None:
        return
    grader = db.session.get(User, submission.graded_by) if submission.graded_by else None
    services.notify(
        submission.user_id,
        Kind.HOMEWORK_GRADED,
        f"graded:{submission.id}",
        planet=planet,
        actor=grader,
        data={
            "title": assignment.title,
            "score": submission.score,
            "link": external_url("engagement.assignment", slug=planet.slug, aid=assignment.id),
        },
    )


@jobs.handler("messages.sent")
def message_sent(message_id: int, **_ignored) -> None:
    """Tell the recipient of a private message who wrote it (never what: the body stays in
    the inbox), once per message."""
    from planet.messages.models import Message

    message = db.session.get(Message, message_id)
    if message is None:
        return
    planet = db.session.get(Planet, message.planet_id)
    sender = db.session.get(User, message.sender_id)
    if planet is None or sender is None or db.session.get(User, message.recipient_id) is None:
        return
    services.notify(
        message.recipient_id,
        Kind.MESSAGE_RECEIVED,
        f"message:{message.id}",
        planet=planet,
        actor=sender,
        data={
            "link": external_url("messages.thread", slug=planet.slug, user_id=sender.id),
        },
    )
