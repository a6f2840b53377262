"""The demo data fills the community: after `flask seed-demo` (what `./scripts/run` runs), every
tab of every demo planet renders for the owner and for a member with something in it."""

import re

import pytest
from flask import url_for
from sqlalchemy import select

from planet.accounts.models import User
from planet.content.columns.models import Column
from planet.engagement.checkins.models import ChallengeProgress
from planet.engagement.polls.models import Lottery, Poll
from planet.extensions import db
from planet.planets.header import TABS
from planet.planets.models import Planet
from tests.conftest import login

EMPTY = (
    "Nothing here yet.",
    "No questions here yet.",
    "No members yet.",
    "No introductions yet.",
    "No challenges yet.",
    "No assignments yet.",
    "No upcoming events.",
    "No polls yet.",
    "No lotteries yet.",
    "No points yet in this period.",
    "No open reports.",
    "No columns yet.",
    "No answered questions yet.",
    "No files yet.",
    "No topics in this column yet.",
)
# Forms and money: nothing to seed.
NO_LIST = {"payments.income", "planets.settings", "members.import_members", "members.comp_seats"}


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}


@pytest.mark.parametrize("slug", ["community-lab", "growth-club", "indie-builders"])
@pytest.mark.parametrize("who", ["owner", "member"])
def test_every_tab_of_a_demo_planet_has_something_in_it(app, client, seeded, slug, who):
    login(client, seeded[who])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with app.test_request_context():
        tabs = {endpoint: url_for(endpoint, slug=slug) for endpoint, _ in TABS}
    timeline = client.get(tabs["content.timeline"]).get_data(as_text=True)
    shown = [e for e in tabs if f'href="{tabs[e]}"' in timeline]
    expected = 25 if who == "owner" else 11
    assert len(shown) == expected, shown
    for endpoint in shown:
        response = client.get(tabs[endpoint])
        page = response.get_data(as_text=True)
        assert response.status_code == 200, endpoint
        if endpoint in NO_LIST:
            continue
        empty = [text for text in EMPTY if text in page]
        assert not empty, f"{endpoint} as {who}: {empty}"
    if who == "owner":
        health = client.get(tabs["engagement.health"]).get_data(as_text=True)
        views = [int(n) for n in re.findall(r'data-funnel="\w+-view">(\d+)<', health)]
        paid = [int(n) for n in re.findall(r'data-funnel="\w+-paid">(\d+)<', health)]
        assert sum(views) > 0 and sum(paid) > 0
        assert "Weekly active members" in health


def test_the_community_is_running_and_seeding_is_deterministic(seeded):
    planet = db.session.scalar(select(Planet).where(Planet.slug == "community-lab"))
    streaks = db.session.scalars(select(ChallengeProgress.current_streak)).all()
    assert max(streaks) == 7 and min(streaks) >= 2  # a week of check-ins, up to today
    poll = db.session.scalar(select(Poll).where(Poll.planet_id == planet.id))
    assert poll.voter_count == 2
    lotteries = db.session.scalars(select(Lottery)).all()
    assert all(lottery.drawn_at for lottery in lotteries)
    # The fixed seed draws the same winner from the same entrants every time.
    assert len({tuple(lottery.winners) for lottery in lotteries}) == 1


def test_the_demo_has_a_column_in_progress_and_a_scheduled_announcement(app, client, seeded):
    login(client, seeded["member"])
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    columns = client.get("/p/indie-builders/columns").get_data(as_text=True)
    assert "Launch in five lessons" in columns
    column_id = db.session.scalar(select(Column.id).where(Column.title == "Launch in five lessons"))
    page = client.get(f"/p/indie-builders/columns/{column_id}").get_data(as_text=True)
    assert "Read 1 of 3" in page and "Continue where you stopped" in page
    login(client, seeded["owner"])
    drafts = client.get("/p/indie-builders/drafts").get_data(as_text=True)
    assert "Office hours next week" in drafts and "Scheduled for" in drafts
    timeline = client.get("/p/indie-builders/").get_data(as_text=True)
    assert "Office hours next week" not in timeline  # not before its time
