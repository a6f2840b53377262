"""What waits for me (issue 11 point 9): the Q&A tab opens on the questions waiting for the
viewer's answer, and the planet header counts, on their tabs, the questions waiting for the
one asked, the open reports for moderators and the hand-ins to grade for those who grade;
each count is one query, and a member's page runs none of them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from planet.content.models import Report
from planet.engagement.homework.models import Assignment, Submission
from planet.extensions import db
from planet.models import utcnow
from tests.planet.planets.helpers import build_world


@pytest.fixture
def world(make):
    return build_world(make)


def _tab(html: str, label: str) -> str:
    """The header tab whose text starts with `label`, as HTML."""
    tabs = re.search(r'<nav class="planet-tabs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    found = [a for a in re.findall(r"<a [^>]*>.*?</a>", tabs, re.S) if f">{label}" in a]
    assert len(found) == 1, tabs
    return found[0]


def _badge(html: str, label: str) -> str | None:
    match = re.search(r'<span class="badge waiting"[^>]*>([^<]*)</span>', _tab(html, label))
    return match.group(1) if match else None


def _open_report(world, make):
    topic = make.topic(world.planet, world.owner, "Reported topic")
    db.session.add(
        Report(planet_id=world.planet.id, reporter_id=world.member.id, topic_id=topic.id,
               reason="spam")
    )  # fmt: skip
    db.session.commit()


def _hand_in(world, make, graded: bool = False):
    now = utcnow()
    assignment = Assignment(
        planet_id=world.planet.id, author_id=world.owner.id, title="Essay", body="",
        body_html="", due_at=now + timedelta(days=1), closes_at=now + timedelta(days=2),
    )  # fmt: skip
    db.session.add(assignment)
    db.session.flush()
    db.session.add(
        Submission(assignment_id=assignment.id, planet_id=world.planet.id,
                   user_id=make.user().id, body="mine", body_html="<p>mine</p>",
                   graded_at=now if graded else None, score=80 if graded else None)
    )  # fmt: skip
    db.session.commit()


def test_the_qa_tab_opens_on_the_question_waiting_for_me(client, login_as, world, make):
    make.question(world.planet, world.member, world.owner, body="Answered one", answer="Yes")
    login_as(world.owner)
    page = client.get("/p/home-planet/questions").get_data(as_text=True)
    assert "Answered one" in page and "show=waiting" in page
    assert 'class="active">Answered<' in page  # nothing waits: the answered ones

    make.question(world.planet, world.member, world.owner, body="Waiting one")
    page = client.get("/p/home-planet/questions").get_data(as_text=True)
    assert "Waiting one" in page and "Answered one" not in page
    assert 'class="active">Waiting for my answer<' in page
    # The answered ones stay one click away (their link names its filter).
    answered = client.get("/p/home-planet/questions?show=answered").get_data(as_text=True)
    assert "Answered one" in answered and "Waiting one" not in answered

    # The member who asked opens on the answered ones (nothing waits for a member's answer).
    login_as(world.member)
    page = client.get("/p/home-planet/questions").get_data(as_text=True)
    assert "Answered one" in page and "Waiting one" not in page


def test_counts_for_the_owner_and_none_for_a_member(client, login_as, world, make):
    for n in range(3):
        make.question(world.planet, world.member, world.owner, body=f"Q{n}")
    make.question(world.planet, world.member, world.guest, body="For the guest")
    make.question(world.planet, world.member, world.owner, body="Done", answer="Done")
    _open_report(world, make)
    _hand_in(world, make)
    _hand_in(world, make, graded=True)

    login_as(world.owner)
    page = client.get("/p/home-planet/").get_data(as_text=True)
    assert _badge(page, "Q&A") == "3"
    assert _badge(page, "Reports") == "1"
    assert _badge(page, "Homework") == "1"

    login_as(world.guest)  # answers and grades, does not moderate
    page = client.get("/p/home-planet/").get_data(as_text=True)
    assert _badge(page, "Q&A") == "1"
    assert _badge(page, "Homework") == "1"
    assert 'href="/p/home-planet/reports"' not in page

    login_as(world.admin)  # moderates; is never asked, does not grade
    page = client.get("/p/home-planet/").get_data(as_text=True)
    assert _badge(page, "Reports") == "1"
    assert _badge(page, "Q&A") is None and _badge(page, "Homework") is None

    login_as(world.member)
    page = client.get("/p/home-planet/").get_data(as_text=True)
    assert 'class="badge waiting"' not in page


def test_a_count_drops_when_the_question_is_answered(client, login_as, world, make):
    question = make.question(world.planet, world.member, world.owner, body="Open")
    login_as(world.owner)
    assert _badge(client.get("/p/home-planet/").get_data(as_text=True), "Q&A") == "1"
    response = client.post(f"/p/home-planet/t/{question.id}/answer", data={"body": "Here"})
    assert response.status_code == 302
    page = client.get("/p/home-planet/questions").get_data(as_text=True)
    assert _badge(page, "Q&A") is None
    assert 'class="active">Answered<' in page and "Open" in page


@pytest.mark.usefixtures("page_cache_off")
def test_each_count_is_one_query_whatever_the_number(client, login_as, world, make, query_counter):
    def cost() -> int:
        client.get("/p/home-planet/")  # fills the short cache (strip, hashtags)
        with query_counter() as counter:
            assert client.get("/p/home-planet/").status_code == 200
        return counter.count

    world.planet.checklist_dismissed_at = utcnow()  # the owner's first-hour list asks nothing
    db.session.commit()
    login_as(world.owner)
    make.question(world.planet, world.member, world.owner)
    _open_report(world, make)
    _hand_in(world, make)
    few = cost()
    for _n in range(5):
        make.question(world.planet, world.member, world.owner)
        _open_report(world, make)
        _hand_in(world, make)
    assert cost() == few

    # A member's page asks for no count at all: the same cost as with nothing waiting.
    login_as(world.member)
    member_cost = cost()
    login_as(world.owner)
    assert few - member_cost == 1  # the counts, in one statement
