"""Test data factories. They write rows directly (fast set-up); behaviour is tested via services.

Every factory flushes and commits so the data is visible to the test client's requests.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from planet.accounts.models import User
from planet.accounts.passwords import hash_password
from planet.content.models import Answer, Comment, Topic, TopicKind
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus, Planet, Role
from planet.text import render_markdown

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_password_hash: str | None = None


def _hash() -> str:
    global _password_hash
    if _password_hash is None:
        _password_hash = hash_password(PASSWORD)
    return _password_hash


def user(email: str | None = None, name: str | None = None, **fields) -> User:
    n = next(_counter)
    obj = User(
        email=email or f"user{n}@example.com",
        display_name=name or f"User {n}",
        password_hash=_hash(),
        email_verified_at=utcnow(),
        **fields,
    )
    db.session.add(obj)
    db.session.commit()
    return obj


def planet(owner: User | None = None, slug: str | None = None, **settings) -> Planet:
    owner = owner or user()
    n = next(_counter)
    obj = Planet(
        slug=slug or f"planet-{n}",
        name=settings.pop("name", f"Planet {n}"),
        owner_id=owner.id,
        description=settings.pop("description", "A planet for testing."),
        **settings,
    )
    db.session.add(obj)
    db.session.flush()
    db.session.add(Membership(planet_id=obj.id, user_id=owner.id, role=Role.OWNER, expires_at=None))
    obj.member_count = 1
    db.session.commit()
    return obj


def member(
    planet: Planet,
    who: User | None = None,
    role: Role = Role.MEMBER,
    status: MembershipStatus = MembershipStatus.ACTIVE,
    expires_in: timedelta | None = timedelta(days=365),
    **fields,
) -> Membership:
    who = who or user()
    now = utcnow()
    obj = Membership(
        planet_id=planet.id,
        user_id=who.id,
        role=role,
        status=status,
        started_at=now,
        expires_at=(now + expires_in) if expires_in is not None else None,
        **fields,
    )
    db.session.add(obj)
    if status is MembershipStatus.ACTIVE:
        planet.member_count += 1
    db.session.commit()
    return obj


def topic(planet: Planet, author: User, body: str = "Hello planet", **fields) -> Topic:
    now = utcnow()
    obj = Topic(
        planet_id=planet.id,
        author_id=author.id,
        body=body,
        body_html=render_markdown(body),
        created_at=fields.pop("created_at", now),
        feed_at=fields.pop("feed_at", now),
        **fields,
    )
    db.session.add(obj)
    planet.topic_count += 1
    db.session.commit()
    return obj


def question(
    planet: Planet,
    asker: User,
    addressee: User,
    body: str = "A question?",
    answer: str | None = None,
) -> Topic:
    obj = topic(
        planet, asker, body, kind=TopicKind.QUESTION, addressee_id=addressee.id, in_feed=False
    )
    if answer is not None:
        now = utcnow()
        db.session.add(
            Answer(
                topic_id=obj.id,
                author_id=addressee.id,
                body=answer,
                body_html=render_markdown(answer),
            )
        )
        obj.answered_at = now
        obj.in_feed = True
        obj.feed_at = now
        db.session.commit()
    return obj


def comment(
    topic: Topic, author: User, body: str = "Nice", parent: Comment | None = None
) -> Comment:
    obj = Comment(
        planet_id=topic.planet_id,
        topic_id=topic.id,
        author_id=author.id,
        body=body,
        body_html=render_markdown(body),
        parent_id=parent.id if parent else None,
    )
    db.session.add(obj)
    topic.comment_count += 1
    db.session.commit()
    return obj
