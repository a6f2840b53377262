"""Reading the FAQ: the answered questions every member may read, grouped by hashtag, one tag's
page, and the search that also suggests answers while a member types a question.

The search is the planet's (planet/content/queries/search.py): case-insensitive substring
matching over the question's title and text and its answer, served on PostgreSQL by the same
pg_trgm indexes. A typed question is rarely a substring of anything, so it is cut into terms
(English words; pairs of characters of Chinese, which has no spaces) and ranked by how many
terms an entry matches.
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, case, cast, func, null, or_, select

from planet.content.faq.models import FaqDeflection, FaqEntry
from planet.content.models import Answer, Hashtag, Topic, TopicHashtag, TopicKind
from planet.content.queries.paging import page_size
from planet.content.queries.search import SEARCH_MAX, escape_like
from planet.extensions import db
from planet.models import utcnow
from planet.text import plain_excerpt
from planet.web.cursors import decode_ints, encode, from_micros, to_micros

SUGGESTIONS = 5
SEARCH_RESULTS = 20
GROUPS = 10
PER_GROUP = 5
MAX_TERMS = 10
TYPED_MAX = 2000  # what a member types: only its first SEARCH_MAX * 3 characters are read

_LATIN = re.compile(r"[a-z0-9][a-z0-9+#.\-]*[a-z0-9+#]|[a-z0-9]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_STOP_WORDS = (
    "a an and are can could did do does for from had has have how i if in into is it its me "
    "my of on or our should so than that the their them then there these they this to was we "
    "what when where which who why will with would you your about any anyone please"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())
_STOP_PAIRS = (
    "怎么 如何 什么 为什 可以 是不 不是 有没 没有 一下 请问 大家 我们 你们 这个 那个 是否 "
    "应该 需要 哪些 哪个 为何 能否 的话 时候 问题 谢谢"
)
STOP_PAIRS = frozenset(_STOP_PAIRS.split())


def terms(text: str) -> list[str]:
    """The search terms of typed text: English words of three or more letters (or digits) not
    in a stop list, and each pair of neighbouring Chinese characters; at most MAX_TERMS, in
    the order they appear."""
    text = (text or "")[: SEARCH_MAX * 3].casefold()
    found: list[str] = []
    for match in re.finditer(f"{_LATIN.pattern}|{_HAN.pattern}", text):
        run = match.group()
        if _HAN.fullmatch(run):
            pairs = [run[i : i + 2] for i in range(len(run) - 1)] or []
            found += [p for p in pairs if p not in STOP_PAIRS]
        elif (len(run) >= 3 or run.isdigit()) and run not in STOP_WORDS:
            found.append(run)
    return list(dict.fromkeys(found))[:MAX_TERMS]


@dataclass
class Entry:
    topic: Topic
    answer: Answer
    settings: FaqEntry | None
    tags: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.topic.title or plain_excerpt(self.topic.body, 120)

    @property
    def summary(self) -> str:
        if self.settings is not None and self.settings.summary:
            return self.settings.summary
        return plain_excerpt(self.answer.body, 200)

    @property
    def promoted(self) -> bool:
        return bool(self.settings and self.settings.promoted)

    @property
    def hidden(self) -> bool:
        return bool(self.settings and self.settings.hidden)


def answered(planet_id: int):
    """The conditions of an FAQ entry: a question of the planet, answered, in the timeline,
    not deleted, its answer open to every member (a private answer is the asker's)."""
    return and_(
        Topic.planet_id == planet_id,
        Topic.kind == TopicKind.QUESTION,
        Topic.answered_at.is_not(None),
        Topic.in_feed.is_(True),
        Topic.deleted_at.is_(None),
        Topic.answer_private.is_(False),
    )


def _entries(planet_id: int, *, hidden: bool = False):
    statement = (
        select(Topic, Answer, FaqEntry)
        .join(Answer, Answer.topic_id == Topic.id)
        .outerjoin(FaqEntry, FaqEntry.topic_id == Topic.id)
        .where(answered(planet_id))
    )
    return statement.where(FaqEntry.hidden.is_(True) if hidden else _shown())


def _shown():
    return or_(FaqEntry.hidden.is_(None), FaqEntry.hidden.is_(False))


def _with_tags(rows) -> list[Entry]:
    entries = [Entry(topic, answer, settings) for topic, answer, settings in rows]
    ids = [entry.topic.id for entry in entries]
    if ids:
        tags: dict[int, list[str]] = {}
        for topic_id, name in db.session.execute(
            select(TopicHashtag.topic_id, Hashtag.name)
            .join(Hashtag, Hashtag.id == TopicHashtag.hashtag_id)
            .where(TopicHashtag.topic_id.in_(ids))
            .order_by(Hashtag.name)
        ):
            tags.setdefault(topic_id, []).append(name)
        for entry in entries:
            entry.tags = tags.get(entry.topic.id, [])
    return entries


def promoted(planet_id: int) -> list[Entry]:
    rows = db.session.execute(
        _entries(planet_id)
        .where(FaqEntry.promoted.is_(True))
        .order_by(Topic.answered_at.desc(), Topic.id.desc())
        .limit(SEARCH_RESULTS)
    ).all()
    return _with_tags(rows)


def hidden(planet_id: int) -> list[Entry]:
    rows = db.session.execute(
        _entries(planet_id, hidden=True).order_by(Topic.id.desc()).limit(SEARCH_RESULTS)
    ).all()
    return _with_tags(rows)


@dataclass
class Group:
    tag: str | None  # None: the questions without a hashtag
    total: int
    entries: list[Entry]


def groups(planet_id: int) -> list[Group]:
    """The most used hashtags of the FAQ (at most GROUPS) with their newest PER_GROUP entries
    each, then the untagged: two statements for the whole page. Recommended entries are
    listed above the groups, not again in them."""
    shown = and_(_shown(), or_(FaqEntry.promoted.is_(None), FaqEntry.promoted.is_(False)))
    base = (
        select(TopicHashtag.hashtag_id.label("hashtag_id"), Topic.id.label("topic_id"))
        .join(Topic, Topic.id == TopicHashtag.topic_id)
        .outerjoin(FaqEntry, FaqEntry.topic_id == Topic.id)
        .where(answered(planet_id), shown)
    )
    untagged = (
        select(cast(null(), Integer).label("hashtag_id"), Topic.id.label("topic_id"))
        .join(Answer, Answer.topic_id == Topic.id)
        .outerjoin(FaqEntry, FaqEntry.topic_id == Topic.id)
        .where(answered(planet_id), shown, ~Topic.id.in_(select(TopicHashtag.topic_id)))
    )
    ranked = base.union_all(untagged).subquery()
    counts = (
        select(ranked.c.hashtag_id, func.count().label("total"))
        .group_by(ranked.c.hashtag_id)
        .subquery()
    )
    numbered = (
        select(
            ranked.c.hashtag_id,
            ranked.c.topic_id,
            func.row_number()
            .over(partition_by=ranked.c.hashtag_id, order_by=ranked.c.topic_id.desc())
            .label("n"),
        )
    ).subquery()
    rows = db.session.execute(
        select(numbered.c.hashtag_id, numbered.c.topic_id, counts.c.total, Hashtag.name)
        .join(counts, counts.c.hashtag_id.is_not_distinct_from(numbered.c.hashtag_id))
        .outerjoin(Hashtag, Hashtag.id == numbered.c.hashtag_id)
        .where(numbered.c.n <= PER_GROUP)
    ).all()
    order: dict[int | None, tuple[str | None, int]] = {}
    wanted: dict[int | None, list[int]] = {}
    for hashtag_id, topic_id, total, name in rows:
        order[hashtag_id] = (name, total)
        wanted.setdefault(hashtag_id, []).append(topic_id)
    tagged = sorted((k for k in order if k is not None), key=lambda k: (-order[k][1], order[k][0]))
    keys = [*tagged[:GROUPS], *([None] if None in order else [])]
    ids = {topic_id for key in keys for topic_id in wanted[key]}
    entries = {e.topic.id: e for e in _with_tags(_rows_by_ids(planet_id, ids))}
    return [
        Group(order[key][0], order[key][1], [entries[i] for i in wanted[key] if i in entries])
        for key in keys
    ]


def _rows_by_ids(planet_id: int, ids: set[int]):
    if not ids:
        return []
    return db.session.execute(
        _entries(planet_id).where(Topic.id.in_(ids)).order_by(Topic.id.desc())
    ).all()


def tag_page(planet_id: int, name: str, after: str | None = None):
    """([Entry], next cursor) of one hashtag's FAQ entries, newest answer first."""
    size = page_size()
    statement = (
        _entries(planet_id)
        .join(TopicHashtag, TopicHashtag.topic_id == Topic.id)
        .join(Hashtag, Hashtag.id == TopicHashtag.hashtag_id)
        .where(Hashtag.planet_id == planet_id, Hashtag.name == name)
        .order_by(Topic.answered_at.desc(), Topic.id.desc())
        .limit(size + 1)
    )
    position = decode_ints(after, 2)
    if position is not None:
        at, topic_id = from_micros(position[0]), position[1]
        statement = statement.where(
            or_(Topic.answered_at < at, and_(Topic.answered_at == at, Topic.id < topic_id))
        )
    rows = db.session.execute(statement).all()
    entries = _with_tags(rows[:size])
    more = len(rows) > size
    cursor = (
        encode(to_micros(entries[-1].topic.answered_at), entries[-1].topic.id) if more else None
    )
    return entries, cursor


def search(planet_id: int, text: str, limit: int = SEARCH_RESULTS) -> list[Entry]:
    """The FAQ entries matching the most terms of `text` (at least one of one or two terms,
    two of more), promoted ones first among equals, then the newest answer."""
    words = terms(text)
    if not words:
        return []
    hits = []
    for word in words:
        pattern = f"%{escape_like(word)}%"
        matched = or_(
            Topic.title.ilike(pattern, escape="\\"),
            Topic.body.ilike(pattern, escape="\\"),
            Answer.body.ilike(pattern, escape="\\"),
            FaqEntry.summary.ilike(pattern, escape="\\"),
        )
        hits.append(case((matched, 1), else_=0))
    score = functools.reduce(operator.add, hits)
    needed = 1 if len(words) <= 2 else 2
    rows = db.session.execute(
        _entries(planet_id)
        .where(score >= needed)
        .order_by(
            score.desc(),
            func.coalesce(FaqEntry.promoted, False).desc(),
            Topic.answered_at.desc(),
            Topic.id.desc(),
        )
        .limit(limit)
    ).all()
    return _with_tags(rows)


def suggestions(planet_id: int, typed: str) -> list[Entry]:
    return search(planet_id, typed, SUGGESTIONS)


def deflections(planet_id: int, now: datetime | None = None) -> tuple[int, int]:
    """(all time, last 30 days) questions members did not ask because an answer existed."""
    since = (now or utcnow()) - timedelta(days=30)
    total, recent = db.session.execute(
        select(
            func.count(FaqDeflection.id),
            func.count(case((FaqDeflection.created_at >= since, 1))),
        ).where(FaqDeflection.planet_id == planet_id)
    ).one()
    return total, recent
