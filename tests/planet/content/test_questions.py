"""Questions and answers: who asks whom, anonymity, visibility before the answer, answering."""

import pytest
from sqlalchemy import select

from planet.content.models import Answer, Topic
from planet.extensions import db
from tests.planet.content.conftest import EXPECT_WRITE_DENIED, ROLES


def _ask(world, who, to="owner", **data):
    data.setdefault("body", "How do I start?")
    data.setdefault("addressee", world.people[to].id if isinstance(to, str) else to)
    return world.client(who).post(world.url("ask"), data=data)


ASK = {"owner": 302, "admin": 302, "guest": 400, "member": 302, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_who_may_ask_the_guest(world, who, dispatched):
    response = _ask(world, who, to="guest")
    assert response.status_code == ASK[who]  # the guest cannot ask themself
    topic = db.session.scalar(select(Topic))
    if ASK[who] == 302:
        assert topic.is_question and topic.addressee_id == world.guest.id and not topic.in_feed
        assert ("notifications.question_asked", {"topic_id": topic.id}) in dispatched
    else:
        assert topic is None


@pytest.mark.parametrize("to,status", [("admin", 400), ("member", 400), ("outsider", 400)])
def test_only_the_owner_or_a_guest_can_be_asked(world, to, status):
    assert _ask(world, "member", to=to).status_code == status
    assert db.session.scalar(select(Topic)) is None


def test_asking_yourself_or_a_stranger_id(world):
    assert _ask(world, "owner", to="owner").status_code == 400
    assert _ask(world, "member", to=999_999).status_code == 400
    assert _ask(world, "member", to="owner", addressee="abc").status_code == 400
    assert db.session.scalar(select(Topic)) is None


def test_the_ask_page_lists_owner_and_guests(world):
    page = world.client("member").get(world.url("ask")).get_data(as_text=True)
    assert "Owner" in page and "The guest" in page and "The admin" not in page


def test_questions_switched_off(world):
    world.planet.questions_enabled = False
    db.session.commit()
    assert _ask(world, "member").status_code == 403
    assert world.client("member").get(world.url("ask")).status_code == 403


def test_unanswered_question_is_visible_to_asker_addressee_and_moderators(world):
    _ask(world, "member", to="guest", body="canary-question-42")
    topic = db.session.scalar(select(Topic))
    expected = {
        "owner": 200, "admin": 200, "guest": 200, "member": 200,
        "expired": 302, "banned": 302, "outsider": 302, "anonymous": 302,
    }  # fmt: skip
    other = world.make.user(name="Other member")
    world.make.member(world.planet, other)
    world.people["other"] = other
    expected["other"] = 404
    for who, status in expected.items():
        response = world.client(who).get(world.url(f"t/{topic.id}"))
        assert response.status_code == status, who
        if status != 200:
            assert "canary-question-42" not in response.get_data(as_text=True)
        feed = world.client(who).get(world.url())
        assert "canary-question-42" not in feed.get_data(as_text=True)
    mine = world.client("member").get(world.url("questions?show=mine")).get_data(as_text=True)
    assert "canary-question-42" in mine
    waiting = world.client("guest").get(world.url("questions?show=waiting")).get_data(True)
    assert "canary-question-42" in waiting
    for who in ("other", "owner"):
        waiting = world.client(who).get(world.url("questions?show=waiting")).get_data(True)
        assert "canary-question-42" not in waiting


ANSWER = {"owner": 403, "admin": 403, "guest": 302, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_only_the_one_asked_answers(world, who, dispatched):
    _ask(world, "member", to="guest")
    topic = db.session.scalar(select(Topic))
    response = world.client(who).post(world.url(f"t/{topic.id}/answer"), data={"body": "Do it."})
    if who in ("owner", "admin"):
        assert response.status_code == 403  # moderators may read it, not answer it
    else:
        assert response.status_code == (ANSWER[who] if who != "member" else 403)
    db.session.refresh(topic)
    answered = ANSWER[who] == 302
    assert (topic.answered_at is not None) is answered
    assert topic.in_feed is answered
    if answered:
        assert topic.feed_at == topic.answered_at
        assert ("notifications.question_answered", {"topic_id": topic.id}) in dispatched


def test_answered_question_enters_the_feed_and_cannot_be_answered_twice(world):
    _ask(world, "member", to="owner", body="What is #社群运营?")
    topic = db.session.scalar(select(Topic))
    owner = world.client("owner")
    assert owner.post(world.url(f"t/{topic.id}/answer"), data={"body": ""}).status_code == 400
    assert (
        owner.post(world.url(f"t/{topic.id}/answer"), data={"body": "a" * 20_001}).status_code
        == 400
    )
    assert owner.post(world.url(f"t/{topic.id}/answer"), data={"body": "First"}).status_code == 302
    again = owner.post(world.url(f"t/{topic.id}/answer"), data={"body": "Second"})
    assert again.status_code == 409
    assert [a.body for a in db.session.scalars(select(Answer))] == ["First"]
    admin = world.client("admin")
    for path in ("", "?filter=qa", "questions", "tags/社群运营"):
        page = admin.get(world.url(path)).get_data(as_text=True)
        assert "What is" in page and "First" in page, path
    db.session.refresh(world.planet)
    assert world.planet.topic_count == 1
    # An answered question can no longer be edited by its asker.
    edit = world.client("member").post(world.url(f"t/{topic.id}/edit"), data={"body": "changed"})
    assert edit.status_code == 409


def test_answer_edit_and_withdraw(world):
    _ask(world, "member", to="guest")
    topic = db.session.scalar(select(Topic))
    guest = world.client("guest")
    guest.post(world.url(f"t/{topic.id}/answer"), data={"body": "v1"})
    assert (
        world.client("owner")
        .post(world.url(f"t/{topic.id}/answer/edit"), data={"body": "x"})
        .status_code
        == 403
    )
    assert (
        guest.post(world.url(f"t/{topic.id}/answer/edit"), data={"body": "v2"}).status_code == 302
    )
    assert db.session.scalar(select(Answer.body)) == "v2"
    assert guest.post(world.url(f"t/{topic.id}/answer/delete")).status_code == 302
    db.session.refresh(topic)
    assert topic.answered_at is None and not topic.in_feed
    assert db.session.scalar(select(Answer)) is None
    assert guest.post(world.url(f"t/{topic.id}/answer"), data={"body": "v3"}).status_code == 302


def test_anonymous_questions_only_when_switched_on(world):
    assert _ask(world, "member", anonymous="y").status_code == 400
    assert db.session.scalar(select(Topic)) is None
    page = world.client("member").get(world.url("ask")).get_data(as_text=True)
    assert 'name="anonymous"' not in page


def test_anonymous_asker_is_hidden_from_everyone_but_recorded(world):
    world.planet.anonymous_questions = True
    world.member.display_name = "Secret Asker"
    db.session.commit()
    assert 'name="anonymous"' in world.client("member").get(world.url("ask")).get_data(True)
    assert _ask(world, "member", to="guest", anonymous="y", body="anon-q").status_code == 302
    topic = db.session.scalar(select(Topic))
    assert topic.is_anonymous and topic.author_id == world.member.id
    guest = world.client("guest")
    page = guest.get(world.url(f"t/{topic.id}")).get_data(as_text=True)
    assert "Secret Asker" not in page and f"/u/{world.member.id}" not in page
    guest.post(world.url(f"t/{topic.id}/answer"), data={"body": "anon-answer"})
    for who in ("owner", "admin", "guest"):
        for path in (f"t/{topic.id}", "", "questions", "search?q=anon"):
            page = world.client(who).get(world.url(path)).get_data(as_text=True)
            assert "Secret Asker" not in page, (who, path)
    author_page = world.client("owner").get(world.url(f"u/{world.member.id}")).get_data(True)
    assert "anon-q" not in author_page


@pytest.mark.parametrize("who", ["owner", "admin", "guest", "member"])
def test_waiting_tab_only_for_those_who_can_be_asked(world, who):
    page = world.client(who).get(world.url("questions")).get_data(as_text=True)
    assert ("show=waiting" in page) is (who in ("owner", "guest"))
