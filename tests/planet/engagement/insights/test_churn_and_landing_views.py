"""Churn that means something on a small planet, and landing views that reach the funnel
without Redis (the embedded default of `./scripts/run`), through a buffer that stays bounded."""

import re

import pytest

from planet.accounts.models import User
from planet.engagement.insights import health, landing_views
from planet.engagement.insights.activity import record_membership_change
from planet.extensions import db
from planet.members.services import end_membership
from planet.models import utcnow
from planet.planets.models import Membership, MembershipStatus
from tests.conftest import count_queries


@pytest.fixture(autouse=True)
def empty_view_buffer():
    landing_views._buffer.clear()
    yield
    landing_views._buffer.clear()


def _membership(planet, user):
    return db.session.query(Membership).filter_by(planet_id=planet.id, user_id=user.id).one()


def test_one_refund_in_a_two_member_planet_is_too_few_to_tell(world, as_user):
    record_membership_change(world.planet.id, world.member.id, "joined")
    end_membership(_membership(world.planet, world.member), MembershipStatus.REFUNDED)
    db.session.commit()
    figures = health.retention(world.planet, utcnow())
    assert figures["ended"] == 1 and figures["churn"] is None
    page = as_user(world.owner).get(f"/p/{world.planet.slug}/health").get_data(as_text=True)
    assert "too few members to tell" in page
    assert "Churn: 100" not in page


def test_a_larger_planet_computes_churn_over_everyone_who_could_leave(world, make, as_user):
    crowd = [make.member(world.planet) for _ in range(19)]  # with Mia: 20 members, 21 with owner
    for membership in crowd[:2]:  # two of them joined during the period
        record_membership_change(world.planet.id, membership.user_id, "joined")
    for membership in crowd[2:6]:  # four left during it
        end_membership(membership, MembershipStatus.LEFT)
    db.session.commit()
    figures = health.retention(world.planet, utcnow())
    # 16 members now (owner not counted): 18 at the start, 2 joined: 4 endings out of 20.
    assert (figures["at_start"], figures["exposed"], figures["ended"]) == (18, 20, 4)
    assert figures["churn"] == pytest.approx(0.2)
    page = as_user(world.owner).get(f"/p/{world.planet.slug}/health").get_data(as_text=True)
    assert "Churn: 20.0%" in page


def _funnel_cell(page: str, cell: str) -> int:
    match = re.search(rf'data-funnel="{cell}">(\d+)<', page)
    assert match, f"no funnel cell {cell}"
    return int(match.group(1))


def test_landing_views_reach_the_funnel_without_redis(app, world, as_user):
    _two_visitors_then_the_funnel(app, world.planet.slug, world.owner, as_user)


@pytest.mark.postgres
def test_landing_views_are_written_beside_a_read_only_get_on_postgres(app, world, as_user):
    slug, owner_id = world.planet.slug, world.owner.id
    db.session.commit()
    db.session.close()  # like a served request: no transaction open when the GET starts
    owner = db.session.get(User, owner_id)
    db.session.close()
    _two_visitors_then_the_funnel(app, slug, owner, as_user)


def _two_visitors_then_the_funnel(app, slug, owner, as_user):
    assert not app.config["REDIS_URL"]
    visitors = (app.test_client(), app.test_client())
    for n, visitor in enumerate(visitors):
        visitor.environ_base["HTTP_USER_AGENT"] = f"visitor-{n}"
        assert visitor.get(f"/p/{slug}/about").status_code == 200
    visitors[0].get(f"/p/{slug}/about")  # the same visitor again: one a day
    assert landing_views.buffered_count() == 0
    db.session.expire_all()
    page = as_user(owner).get(f"/p/{slug}/health").get_data(as_text=True)
    assert _funnel_cell(page, "direct-view") == 2


def test_with_redis_views_go_through_one_kept_client_to_the_funnel(app, world, redis_url):
    app.config["REDIS_URL"] = redis_url
    slug = world.planet.slug
    db.session.commit()
    for n in range(3):
        visitor = app.test_client()
        visitor.environ_base["HTTP_USER_AGENT"] = f"redis-visitor-{n}"
        assert visitor.get(f"/p/{slug}/about").status_code == 200
    client = landing_views._redis()
    assert client is landing_views._redis()  # one client (and connection pool) per app
    assert client.llen(landing_views.REDIS_VIEWS_KEY) == 3
    assert landing_views.buffered_count() == 0
    assert landing_views.flush_landing_views()["recorded"] == 3
    db.session.commit()
    assert health.funnel(world.planet, utcnow())["direct"]["view"] == 3


def test_a_visitor_counted_today_costs_no_write_when_they_come_back(app, world):
    """The funnel counts a visitor once a planet-local day (whatever the source), so the app
    does not write their later views that day at all; another visitor still writes."""
    db.session.commit()
    planet = world.planet
    landing_views.count_landing_view(planet, "direct", "returning")
    assert landing_views.flush_buffered_views(db.engine) == 1
    with count_queries() as later_views:
        landing_views.count_landing_view(planet, "direct", "returning")
        landing_views.count_landing_view(planet, "referral", "returning")
        assert landing_views.buffered_count() == 0
        assert landing_views.flush_buffered_views(db.engine) == 0
    assert later_views.count == 0
    landing_views.count_landing_view(planet, "referral", "newcomer")
    assert landing_views.flush_buffered_views(db.engine) == 1
    db.session.expire_all()
    table = health.funnel(planet, utcnow())
    assert (table["direct"]["view"], table["referral"]["view"]) == (1, 1)


def test_the_view_buffer_is_bounded(world):
    for n in range(landing_views.MAX_BUFFERED_VIEWS + 50):  # no request: nothing flushes them
        landing_views.count_landing_view(world.planet, "direct", f"v{n}")
    assert landing_views.buffered_count() == landing_views.MAX_BUFFERED_VIEWS
    assert landing_views.flush_buffered_views(db.engine) == landing_views.MAX_BUFFERED_VIEWS
    assert landing_views.buffered_count() == 0
    db.session.expire_all()
    table = health.funnel(world.planet, utcnow())
    assert table["direct"]["view"] == landing_views.MAX_BUFFERED_VIEWS
