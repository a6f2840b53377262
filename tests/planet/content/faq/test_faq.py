"""The FAQ (常见问题) through the HTTP app: answered questions gathered by hashtag and searched
in Chinese and English; only public answers of live questions; moderators promote, summarise
and hide; a member typing a question is offered up to five existing answers and saying one
answered them counts a deflected question, once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from planet.content.faq import queries
from planet.content.faq.models import FaqDeflection, FaqEntry
from planet.content.models import Topic
from planet.extensions import db

QA = [
    ("How do I renew my membership? #billing", "Open My membership and press Renew."),
    ("Can I get an invoice for my payment? #billing", "Invoices are mailed after each payment."),
    ("怎么设置打卡提醒？#打卡", "在打卡页面右上角打开提醒即可。"),
    ("Where are the course videos? #course", "Every lesson is in the Columns tab."),
    ("What time is the weekly call?", "Thursdays at 20:00 Beijing time."),
]


def _ask_and_answer(world, body: str, answer: str) -> int:
    asked = world.client("member").post(
        world.url("ask"), data={"addressee": world.owner.id, "body": body}
    )
    assert asked.status_code == 302, asked.get_data(as_text=True)[:300]
    topic_id = int(asked.headers["Location"].rstrip("/").split("/")[-1])
    answered = world.client("owner").post(world.url(f"t/{topic_id}/answer"), data={"body": answer})
    assert answered.status_code == 302
    return topic_id


@pytest.fixture
def faq(world):
    ids = [_ask_and_answer(world, body, answer) for body, answer in QA]
    waiting = world.client("member").post(
        world.url("ask"), data={"addressee": world.owner.id, "body": "Unanswered renew question"}
    )
    assert waiting.status_code == 302
    db.session.expire_all()
    return ids


def _page(world, who="member", query="") -> str:
    response = world.client(who).get(world.url(f"faq{query}"))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_answered_questions_are_grouped_by_hashtag(world, faq):
    page = _page(world)
    assert 'data-tag="billing"' in page and 'data-tag="打卡"' in page and 'data-tag=""' in page
    for _body, answer in QA:
        assert answer in page
    assert "Unanswered renew question" not in page
    billing = page.split('data-tag="billing"')[1].split("</section>")[0]
    assert "renew my membership" in billing and "invoice" in billing
    assert "weekly call" not in billing
    tag_page = _page(world, query="?tag=billing")
    assert "renew my membership" in tag_page and "course videos" not in tag_page


@pytest.mark.parametrize(
    ("typed", "expected", "not_expected"),
    [
        ("how can I renew my membership", "renew my membership", "weekly call"),
        ("打卡提醒在哪里设置", "打卡提醒", "renew my membership"),
        ("invoice", "invoice for my payment", "course videos"),
        ("Beijing", "weekly call", "invoice"),  # found through the answer's text
    ],
)
def test_search_and_suggestions_find_answers_in_both_languages(
    world, faq, typed, expected, not_expected
):
    page = _page(world, query=f"?q={typed}")
    assert expected in page and not_expected not in page
    response = world.client("member").get(world.url("faq/suggest"), query_string={"q": typed})
    assert response.status_code == 200
    items = response.get_json()["items"]
    [item] = items  # exactly the one entry the terms point at
    assert expected.casefold() in item["title"].casefold()
    assert not_expected.casefold() not in item["title"].casefold()


def test_suggestions_are_at_most_five_and_the_ask_page_shows_them(world, make):
    for n in range(8):
        _ask_and_answer(world, f"Refund question number {n}?", f"Refund answer {n}")
    items = (
        world.client("member")
        .get(world.url("faq/suggest"), query_string={"q": "refund"})
        .get_json()["items"]
    )
    assert len(items) == 5
    page = world.client("member").get(world.url("ask?q=refund please")).get_data(as_text=True)
    assert page.count("data-suggestion=") == 5
    assert "refund please" in page  # the typed text is kept in the form


def test_private_answers_waiting_and_deleted_questions_stay_out(world, faq):
    topic = db.session.get(Topic, faq[0])
    topic.answer_private = True
    deleted = db.session.get(Topic, faq[1])
    deleted.deleted_at = deleted.created_at
    db.session.commit()
    page = _page(world)
    assert "Open My membership" not in page and "Invoices are mailed" not in page
    items = (
        world.client("member")
        .get(world.url("faq/suggest"), query_string={"q": "renew membership invoice"})
        .get_json()["items"]
    )
    assert items == []


def test_moderators_promote_summarise_and_hide(world, faq):
    owner = world.client("owner")
    first = faq[3]  # the course videos
    assert owner.post(world.url(f"faq/{first}/promote"), data={"value": "on"}).status_code == 302
    summary = "See the Columns tab · 专栏里有全部课程。"
    assert (
        owner.post(world.url(f"faq/{first}/summary"), data={"summary": summary}).status_code == 302
    )
    page = _page(world)
    recommended = page.split("faq-list")[1]
    assert "course videos" in recommended and summary in page
    hide = owner.post(world.url(f"faq/{faq[4]}/hide"), data={"value": "on"})
    assert hide.status_code == 302
    assert "weekly call" not in _page(world)
    assert "weekly call" in _page(world, "owner")  # in the owner's "hidden" list
    search = world.client("member").get(world.url("faq/suggest"), query_string={"q": "weekly call"})
    assert search.get_json()["items"] == []
    entry = db.session.get(FaqEntry, faq[4])
    assert entry.hidden and not entry.promoted


@pytest.mark.parametrize("who", ["member", "guest", "expired", "outsider"])
def test_only_moderators_manage(world, faq, who):
    client = world.client(who)
    for path, data in (("promote", {"value": "on"}), ("hide", {"value": "on"}),
                       ("summary", {"summary": "Mine"})):  # fmt: skip
        response = client.post(world.url(f"faq/{faq[0]}/{path}"), data=data)
        assert response.status_code in (403, 404), (path, response.status_code)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(FaqEntry)) == 0


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("summary", {"summary": "x" * 501}),
        ("promote", {"value": "maybe"}),
        ("hide", {}),
    ],
)
def test_bad_input_is_a_clear_4xx_with_nothing_written(world, faq, path, data):
    response = world.client("owner").post(world.url(f"faq/{faq[0]}/{path}"), data=data)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(FaqEntry, faq[0]) is None


def test_an_unanswered_or_foreign_question_is_not_an_faq_entry(world, faq, make):
    waiting = db.session.scalar(select(Topic.id).where(Topic.answered_at.is_(None)))
    other = make.planet(make.user(), slug="mars")
    foreign = make.topic(other, world.owner, "Elsewhere").id
    for topic_id in (waiting, foreign, 999999):
        response = world.client("owner").post(
            world.url(f"faq/{topic_id}/promote"), data={"value": "on"}
        )
        assert response.status_code == 404


def test_a_deflected_question_is_counted_once(world, faq):
    member = world.client("member")
    for _ in range(3):
        response = member.post(world.url(f"faq/{faq[0]}/helped"))
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/t/{faq[0]}")
    world.client("admin").post(world.url(f"faq/{faq[0]}/helped"))
    db.session.expire_all()
    assert db.session.scalar(select(func.count(FaqDeflection.id))) == 2
    page = _page(world, "owner")
    assert 'data-deflected="2"' in page
    assert "data-deflected" not in _page(world, "member")  # the count is the moderators'


def test_suggest_refuses_too_long_text_and_outsiders(world, faq):
    too_long = "x" * (queries.TYPED_MAX + 1)
    response = world.client("member").get(world.url("faq/suggest"), query_string={"q": too_long})
    assert response.status_code == 400
    for who in ("outsider", "expired", "anonymous"):
        response = world.client(who).get(world.url("faq/suggest"), query_string={"q": "renew"})
        assert response.status_code in (302, 401, 403, 404)
        assert "Open My membership" not in response.get_data(as_text=True)


def test_terms_cut_chinese_into_pairs_and_drop_stop_words():
    assert queries.terms("How do I renew my membership?") == ["renew", "membership"]
    assert queries.terms("怎么设置打卡提醒") == ["么设", "设置", "置打", "打卡", "卡提", "提醒"]
    assert queries.terms("") == [] and queries.terms("a to") == []
    assert len(queries.terms(" ".join(f"word{n}" for n in range(50)))) == queries.MAX_TERMS


def test_the_faq_is_one_of_the_q_and_a_lists(world, faq):
    page = world.client("member").get(world.url("questions")).get_data(as_text=True)
    assert f'href="{world.url("faq")}"' in page
    faq_page = _page(world)
    assert (
        'class="active">FAQ' in faq_page or f'href="{world.url("faq")}" class="active"' in faq_page
    )
