"""What a topic card and a comment show: plain, frozen records read with Core selects.

Reading pages (the timeline, tag, author, search and question lists, the topic page) build
these instead of ORM objects: a page's rows come from one select each, with no identity map
or loader machinery. Each record carries every attribute the access policy reads
(`author_id`, `addressee_id`, `is_question`, `answered_at`, `deleted_at`), so views still ask
`planet.policy` about each one. Records are hashable and hold everything their card shows,
which lets a rendered card be cached under the record itself (planet/web/fragments.py): when
anything on the card changes, so does the key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from planet.content.models import TopicKind


@dataclass(frozen=True, slots=True)
class Person:
    """An author as a card shows them."""

    id: int
    display_name: str
    avatar_path: str | None


@dataclass(frozen=True, slots=True)
class Image:
    key: str
    filename: str


@dataclass(frozen=True, slots=True)
class AnswerCard:
    id: int
    author: Person
    body_html: str
    created_at: datetime

    @property
    def author_id(self) -> int:
        return self.author.id


@dataclass(frozen=True, slots=True)
class TopicCard:
    id: int
    planet_id: int
    kind: TopicKind
    title: str
    body_html: str
    author: Person
    addressee: Person | None
    is_anonymous: bool
    is_announcement: bool
    is_essence: bool
    pinned_at: datetime | None
    answered_at: datetime | None
    in_feed: bool
    feed_at: datetime
    created_at: datetime
    deleted_at: datetime | None
    like_count: int
    comment_count: int
    answer: AnswerCard | None
    images: tuple[Image, ...] = ()
    paid_status: str | None = None
    """A paid question's state (planet.content.models.PaidStatus), else None."""
    price: int | None = None
    due_at: datetime | None = None
    answer_private: bool = False
    answer_hidden: bool = False
    """The viewer may not read this private answer (the view removed it from the card)."""
    has_files: bool = False
    """Files of the library came with it (known on the topic page only)."""
    in_column: bool = False
    """It is in one of the planet's columns (known on the topic page only)."""

    @property
    def author_id(self) -> int:
        return self.author.id

    @property
    def addressee_id(self) -> int | None:
        return self.addressee.id if self.addressee else None

    @property
    def is_question(self) -> bool:
        return self.kind == TopicKind.QUESTION

    def without_answer(self) -> TopicCard:
        """This card for a viewer who may not read its private answer."""
        return replace(self, answer=None, answer_hidden=True)


@dataclass(frozen=True, slots=True)
class CommentCard:
    id: int
    topic_id: int
    parent_id: int | None
    author: Person
    body_html: str
    created_at: datetime
    like_count: int
    deleted_at: datetime | None = None

    @property
    def author_id(self) -> int:
        return self.author.id


@dataclass(frozen=True, slots=True)
class CommentActions:
    """What this viewer may do with one comment, as the policy answered (part of the
    comment fragment's cache key)."""

    like: bool
    reply: bool
    edit: bool
    delete: bool
    report: bool


@dataclass(frozen=True, slots=True)
class TopicActions:
    """What this viewer may do with the topic on its own page, as the policy answered (part
    of the full topic fragment's cache key)."""

    like: bool
    edit: bool
    delete: bool
    report: bool
    feature: bool
    add_to_column: bool
    edit_answer: bool
    withdraw_answer: bool
