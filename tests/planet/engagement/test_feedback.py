"""Every engagement action says what happened (a flash on the page after the redirect, in the
person's language), and what cannot be undone asks first (data-confirm, static/js/app.js)."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

import pytest

from planet.content.services import comments, topics
from planet.engagement.events.models import Event
from planet.engagement.polls import services as polls
from planet.engagement.polls.models import Lottery, LotteryEligibility
from planet.extensions import db
from planet.models import utcnow


def confirm_of(page: str, action: str) -> str | None:
    """The data-confirm question of the submit button in the form posting to `action`, or
    None when that form asks nothing (AssertionError when there is no such form)."""
    forms = re.findall(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page, re.S)
    found = [body for target, body in forms if html_lib.unescape(target) == action]
    assert found, f"no form posts to {action}"
    question = re.search(r'<button[^>]*data-confirm="([^"]*)"', found[0])
    return html_lib.unescape(question.group(1)) if question else None


def _client(as_user, user, lang):
    client = as_user(user)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    return client


TOMORROW = (date.today() + timedelta(days=1)).isoformat()
CREATE = {
    "challenge": (
        "/p/alpha/challenges/new",
        {"title": "Read daily", "start_date": TOMORROW, "length_days": "7", "late_allowed": "y"},
        "The check-in challenge is created.",
        "打卡挑战已创建",
    ),
    "event": (
        "/p/alpha/events/new",
        {
            "title": "AMA",
            "date": TOMORROW,
            "time": "20:00",
            "recurrence": "none",
            "duration_minutes": "60",
            "remind_minutes": "60",
        },
        "The event is created.",
        "活动已创建",
    ),
    "poll": (
        "/p/alpha/polls/new",
        {
            "question": "Lunch?",
            "options": "Tea\nCoffee",
            "closes_date": "2099-01-01",
            "closes_time": "10:00",
            "results": "after_vote",
        },
        "The poll is open.",
        "投票已发布",
    ),
    "homework": (
        "/p/alpha/homework/new",
        {
            "title": "Essay",
            "body": "Write one page",
            "due_date": "2099-01-01",
            "due_time": "10:00",
            "late_days": "0",
        },
        "The homework is posted.",
        "作业已发布",
    ),
    "lottery": (
        "/p/alpha/lotteries/new",
        {"title": "Books", "prize": "A book", "eligibility": "all_members", "winner_count": "1"},
        "The lottery is created.",
        "抽奖已创建",
    ),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("what", list(CREATE))
def test_creating_says_so_on_the_next_page(world, as_user, what, lang):
    url, data, english, chinese = CREATE[what]
    owner = _client(as_user, world.owner, lang)
    response = owner.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = owner.get(response.headers["Location"]).get_data(as_text=True)
    assert (english if lang == "en" else chinese) in page
    assert 'class="flash flash-success"' in page


@pytest.mark.parametrize(
    "lang,said", [("en", "The lottery is drawn: 1 winner"), ("zh", "已开奖：共 1 位中奖者")]
)
def test_drawing_asks_first_then_says_how_many_won(world, as_user, lang, said):
    lottery = polls.create_lottery(
        world.planet, world.owner, "Books", "", LotteryEligibility.ALL_MEMBERS, 1
    )
    db.session.commit()
    owner = _client(as_user, world.owner, lang)
    url = f"/p/alpha/lotteries/{lottery.id}"
    question = confirm_of(owner.get(url).get_data(as_text=True), f"{url}/draw")
    assert question and ("cannot be drawn again" in question or "不能重新抽取" in question)
    response = owner.post(f"{url}/draw", follow_redirects=True)
    assert response.status_code == 200
    assert said in response.get_data(as_text=True)
    assert db.session.get(Lottery, lottery.id).drawn_at is not None


def test_a_lottery_nobody_may_enter_says_why_on_its_page(world, as_user):
    lottery = polls.create_lottery(
        world.planet, world.owner, "Streaks", "", LotteryEligibility.CHECKED_IN_THIS_WEEK, 1
    )
    db.session.commit()
    response = as_user(world.owner).post(f"/p/alpha/lotteries/{lottery.id}/draw")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nobody is eligible" in page and "Streaks" in page and "Draw now" in page


def test_cancelling_an_rsvp_says_so_and_cancelling_the_event_asks_first(world, as_user):
    event = world.event_at("AMA", utcnow() + timedelta(days=2))
    db.session.commit()
    member = as_user(world.member)
    url = f"/p/alpha/events/{event.id}"
    assert member.post(f"{url}/rsvp").status_code == 302
    page = member.post(f"{url}/rsvp/cancel", follow_redirects=True).get_data(as_text=True)
    assert "You are no longer going." in page
    owner = as_user(world.owner)
    question = confirm_of(owner.get(url).get_data(as_text=True), f"{url}/cancel")
    assert question == "Cancel this event? This cannot be undone."
    page = owner.post(f"{url}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "The event was cancelled." in page
    assert db.session.get(Event, event.id).cancelled_at is not None


def test_deleting_a_topic_or_a_comment_asks_first(world, as_user):
    topic = topics.create_topic(world.planet, world.owner, title="Hi", body="Hello")
    comment = comments.add_comment(world.planet, world.owner, topic, "A comment")
    db.session.commit()
    owner = _client(as_user, world.owner, "zh")
    page = owner.get(f"/p/alpha/t/{topic.id}").get_data(as_text=True)
    assert (
        confirm_of(page, f"/p/alpha/t/{topic.id}/delete") == "确定删除这个主题吗？此操作无法撤销。"
    )
    assert (
        confirm_of(page, f"/p/alpha/c/{comment.id}/delete")
        == "确定删除这条评论吗？此操作无法撤销。"
    )


def test_dissolving_asks_first(world, as_user):
    page = as_user(world.owner).get("/p/alpha/settings").get_data(as_text=True)
    question = confirm_of(page, "/p/alpha/dissolve")
    assert question and world.planet.name in question and "cannot be undone" in question
