"""Search inside a planet: Chinese and English, case-insensitive, only what one may read."""

import pytest

from planet.extensions import db
from tests.planet.content.conftest import ROLES


@pytest.fixture
def corpus(world, make):
    make.topic(world.planet, world.owner, "我们聊聊社群运营的方法", title="运营笔记")
    make.topic(world.planet, world.guest, "Growth Hacking for COMMUNITIES")
    make.topic(world.planet, world.owner, "100% sure about snake_case names")
    make.topic(world.planet, world.owner, "plain words only")
    make.question(
        world.planet, world.member, world.owner, "问一下定价策略", answer="答：社群定价要谨慎"
    )
    make.question(world.planet, world.admin, world.owner, "secret unanswered 社群运营 question")
    gone = make.topic(world.planet, world.owner, "deleted 社群运营 topic")
    from planet.models import utcnow

    gone.deleted_at = utcnow()
    gone.in_feed = False
    db.session.commit()
    other = make.planet(slug="venus")
    make.topic(other, other.owner, "venus 社群运营 only")
    return world


def _search(world, q, who="member", **params):
    response = world.client(who).get(world.url("search"), query_string={"q": q, **params})
    return response.status_code, response.get_data(as_text=True)


def test_chinese_substring_search(corpus):
    status, html = _search(corpus, "社群运营")
    assert status == 200
    assert "我们聊聊社群运营的方法" in html
    assert "secret unanswered" not in html  # someone else's open question
    assert "deleted 社群运营" not in html
    assert "venus" not in html


def test_answers_and_titles_are_searched(corpus):
    assert "问一下定价策略" in _search(corpus, "社群定价")[1]
    assert "我们聊聊" in _search(corpus, "运营笔记")[1]


def test_english_is_case_insensitive(corpus):
    for q in ("growth hacking", "COMMUNITIES", "communities", "GrOwTh"):
        assert "Growth Hacking for COMMUNITIES" in _search(corpus, q)[1], q


def test_like_wildcards_are_escaped(corpus):
    assert "100% sure" in _search(corpus, "100%")[1]
    assert "plain words" not in _search(corpus, "%")[1]
    assert "plain words" not in _search(corpus, "_")[1]
    assert "snake_case" in _search(corpus, "e_c")[1]
    assert "snake_case" not in _search(corpus, "e%c")[1]


def test_search_input_limits(corpus):
    assert _search(corpus, "x" * 101)[0] == 400
    status, html = _search(corpus, "")
    assert status == 200 and "plain words" not in html
    assert _search(corpus, "社群", after="garbage")[0] == 400


def test_search_results_page_by_keyset(corpus, app, make):
    for n in range(7):
        make.topic(corpus.planet, corpus.owner, f"paged needle {n}")
    app.config["PAGE_SIZE"] = 3
    client = corpus.client("member")
    url, found = corpus.url("search?q=needle"), []
    while url:
        html = client.get(url).get_data(as_text=True)
        found += [n for n in range(7) if f"paged needle {n}" in html]
        match = html.split('class="button secondary" href="')
        url = match[1].split('"')[0].replace("&amp;", "&") if len(match) > 1 else None
    assert sorted(found) == list(range(7)) and len(found) == 7


@pytest.mark.parametrize("who", ROLES)
def test_only_readers_search(corpus, who):
    status, html = _search(corpus, "社群运营", who=who)
    readable = who in ("owner", "admin", "guest", "member")
    assert status == (200 if readable else 302)
    assert ("我们聊聊社群运营的方法" in html) is readable


@pytest.mark.postgres
def test_search_on_postgresql(corpus):
    from sqlalchemy import text

    assert db.engine.dialect.name == "postgresql"
    indexes = set(db.session.scalars(text("SELECT indexname FROM pg_indexes")))
    assert {"ix_topics_body_trgm", "ix_topics_title_trgm", "ix_answers_body_trgm"} <= indexes
    status, html = _search(corpus, "社群运营")
    assert status == 200 and "我们聊聊社群运营的方法" in html
    assert "secret unanswered" not in html and "deleted 社群运营" not in html
    assert "问一下定价策略" in _search(corpus, "社群定价")[1]
    for q in ("growth hacking", "COMMUNITIES", "GrOwTh"):
        assert "Growth Hacking for COMMUNITIES" in _search(corpus, q)[1], q
    assert "100% sure" in _search(corpus, "100%")[1]
    assert "plain words" not in _search(corpus, "%")[1]
