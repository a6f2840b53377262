"""One grace member, every surface: a member whose paid term ended but who is still in the
dunning grace period is active EVERYWHERE (ARCHITECTURE.md, "Who is a member"); one whose
grace is over is active nowhere, even before the expiry sweep marks the row expired.

The per-feature detail (leaderboard ranks, lottery rules, CSV exports) is tested in each
feature's `test_grace_period.py`; this file walks every surface once with the same two people.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from planet import policy
from planet.engagement.introductions import services as introductions
from planet.engagement.points import services as points
from planet.engagement.points.models import PeriodKind
from planet.engagement.polls import services as polls
from planet.engagement.polls.models import LotteryEligibility
from planet.extensions import db
from planet.models import utcnow
from planet.notifications.models import DigestFrequency
from planet.planets.models import Membership
from workers import digests

INTRO = {"who": "", "work": "", "offer": "", "seeking": "x", "city": "", "tags": "", "contact": ""}


@pytest.fixture
def people(make):
    owner = make.user(name="Owner")
    planet = make.planet(owner, slug="grace-planet")
    grace, lapsed = make.user(name="GinaGrace"), make.user(name="LarsLapsed")
    memberships = {user.id: make.member(planet, user) for user in (grace, lapsed)}
    now = utcnow()
    for user in (grace, lapsed):
        introductions.write_introduction(planet, user, INTRO)
        points.award_points(planet.id, user.id, "topic", 5, f"topic:{user.id}", now)
    memberships[grace.id].expires_at = now - timedelta(days=1)
    memberships[grace.id].grace_until = now + timedelta(days=3)
    memberships[lapsed.id].expires_at = now - timedelta(days=5)
    memberships[lapsed.id].grace_until = now - timedelta(days=1)
    db.session.commit()
    return owner, planet, grace, lapsed, memberships


def _page(client, login_as, user, path):
    with client.session_transaction() as session:
        session.clear()
    login_as(user)
    return client.get(path, headers={"Accept-Language": "en"})


def test_the_sql_and_python_answers_agree(people):
    _, planet, grace, lapsed, memberships = people
    now = utcnow()
    active_ids = set(
        db.session.scalars(
            db.select(Membership.user_id).where(
                Membership.planet_id == planet.id, Membership.active_at(now)
            )
        )
    )
    for user in (grace, lapsed):
        assert (user.id in active_ids) is memberships[user.id].is_entitled_at(now)
    assert grace.id in active_ids and lapsed.id not in active_ids


def test_policy_reads_and_writes(people):
    _, planet, grace, lapsed, _ = people
    for action in (policy.Action.READ, policy.Action.COMMENT, policy.Action.VIEW_ROSTER):
        assert policy.may(grace, action, planet)
        assert not policy.may(lapsed, action, planet)
    assert policy.standing_of(grace, planet, utcnow()).in_grace


@pytest.mark.parametrize("path", ["/", "/members", "/directory", "/points?period=all"])
def test_member_pages_open_for_grace_closed_for_lapsed(people, client, login_as, path):
    _, planet, grace, lapsed, _ = people
    assert _page(client, login_as, grace, f"/p/{planet.slug}{path}").status_code == 200
    closed = _page(client, login_as, lapsed, f"/p/{planet.slug}{path}")
    if path == "/":  # the timeline sends a non-member to the landing page to renew
        assert closed.status_code == 302
        assert closed.headers["Location"].endswith(f"/p/{planet.slug}/about")
    else:
        assert closed.status_code == 403


@pytest.mark.parametrize(
    "path", ["/members", "/directory", "/points?period=all", "/points/inactive"]
)
def test_lists_show_grace_not_lapsed(people, client, login_as, path):
    owner, planet, *_ = people
    page = _page(client, login_as, owner, f"/p/{planet.slug}{path}").get_data(as_text=True)
    assert "GinaGrace" in page
    assert "LarsLapsed" not in page


def test_leaderboard_lottery_and_digest(people):
    owner, planet, grace, lapsed, memberships = people
    now = utcnow()
    ranked = [row.user_id for row in points.leaderboard(planet, PeriodKind.ALL, now)]
    assert grace.id in ranked and lapsed.id not in ranked
    lottery = polls.create_lottery(
        planet, owner, "Draw", "A book", LotteryEligibility.ALL_MEMBERS, 5
    )
    polls.draw_lottery(planet, lottery, owner)
    db.session.commit()
    assert grace.id in lottery.entrants and lapsed.id not in lottery.entrants
    due, _ = digests.due_memberships(DigestFrequency.WEEKLY, 0, 100, now)
    assert memberships[grace.id].id in due
    assert memberships[lapsed.id].id not in due
