"""Health numbers on a seeded history with known answers.

The activity figures are checked twice: computed live (planet.engagement.insights.health) and
read back from a stored snapshot (planet.engagement.insights.health_snapshot), the way the page
shows them."""

from datetime import UTC, datetime, timedelta

import pytest

from planet.engagement.insights import health, health_snapshot, landing_views
from planet.engagement.insights.activity import record_activity
from planet.engagement.insights.models import ActivityKind, FunnelSource, FunnelStage
from planet.extensions import db
from tests.planet.engagement.insights.figures import add_snapshot_row, live_figures

NOW = datetime(2025, 6, 18, 4, 0, tzinfo=UTC)  # Wednesday noon in Shanghai
_ref = iter(range(1, 10**6))


def _seed(planet, user, weeks_ago: int, count: int, kind=ActivityKind.COMMENT):
    at = NOW - timedelta(weeks=weeks_ago)
    for _ in range(count):
        record_activity(planet.id, user.id, kind, next(_ref), at)


@pytest.fixture(params=["live", "snapshot"])
def figures(request):
    """figures(planet, now) -> ActivityHealth, from the live functions or from a snapshot that
    the periodic job computed, committed and the page read back."""

    def stored(planet, now):
        add_snapshot_row(planet, now)
        db.session.flush()
        assert health_snapshot.refresh_if_due(planet.id, now) == "computed"
        db.session.commit()
        db.session.expire_all()
        result = health_snapshot.activity_health(planet, now)
        assert result.state == "snapshot" and result.computed_at == now
        return result

    return live_figures if request.param == "live" else stored


@pytest.fixture
def crowd(world, make):
    """Owner + member + 18 more members = 20 members; top decile = 2 people."""
    users = [world.owner, world.member]
    for _ in range(18):
        users.append(make.member(world.planet).user_id)
    from planet.accounts.models import User

    return [u if isinstance(u, User) else db.session.get(User, u) for u in users]


def test_cooling_alerts_and_names_the_quiet(world, crowd, figures):
    stars, rest = crowd[:2], crowd[2:]
    for weeks_ago in range(5, 9):  # baseline: weeks -8..-5
        for star in stars:
            _seed(world.planet, star, weeks_ago, 10)
        for user in rest[:5]:
            _seed(world.planet, user, weeks_ago, 1)
    for weeks_ago in range(1, 5):  # recent: the stars go quiet, the rest carry on
        _seed(world.planet, stars[0], weeks_ago, 2)
        for user in rest[:5]:
            _seed(world.planet, user, weeks_ago, 1)
    db.session.commit()
    report = figures(world.planet, NOW).cooling
    assert report.group_size == 2
    assert (report.baseline_total, report.recent_total) == (80, 8)
    assert report.alert
    assert {user.id for user, _, _ in report.quiet} == {stars[0].id, stars[1].id}


def test_stable_community_does_not_alert(world, crowd, figures):
    for weeks_ago in range(1, 9):
        for i, user in enumerate(crowd[:6]):
            _seed(world.planet, user, weeks_ago, 6 - i)
    db.session.commit()
    report = figures(world.planet, NOW).cooling
    assert not report.alert and report.recent_total == report.baseline_total == 4 * (6 + 5)


def test_weekly_active_share_and_by_member(world, crowd, figures):
    _seed(world.planet, crowd[0], 0, 9, ActivityKind.TOPIC)
    _seed(world.planet, crowd[1], 0, 1, ActivityKind.ANSWER)
    _seed(world.planet, crowd[2], 1, 1)
    db.session.commit()
    assert [n for _, n in health.weekly_active(world.planet, NOW, weeks=2)] == [1, 2]
    result = figures(world.planet, NOW)
    assert [n for _, n in result.weekly[-2:]] == [1, 2]
    assert sum(n for _, n in result.weekly) == 3
    share = result.share
    assert (share["top_members"], share["top_activity"], share["all_activity"]) == (2, 10, 11)
    assert share["share"] == pytest.approx(10 / 11)
    rows = result.members
    assert (rows[0][0].id, rows[0][1], rows[0][-1]) == (crowd[0].id, 9, 9)


def test_activity_recorded_once(world):
    assert record_activity(world.planet.id, world.member.id, ActivityKind.COMMENT, 7, NOW)
    assert not record_activity(world.planet.id, world.member.id, ActivityKind.COMMENT, 7, NOW)


def test_unanswered_questions_after_48_hours(world, make):
    old = make.question(world.planet, world.member, world.owner)
    old.created_at = datetime.now(UTC) - timedelta(hours=49)
    make.question(world.planet, world.member, world.owner)  # fresh
    make.question(world.planet, world.member, world.owner, answer="done")
    db.session.commit()
    rows = health.unanswered_questions(world.planet, datetime.now(UTC))
    assert [t.id for t in rows] == [old.id]


def test_least_active_lists_zero_activity_first(world, crowd):
    _seed(world.planet, crowd[0], 0, 3)
    db.session.commit()
    rows, cursor = health.least_active(world.planet, NOW, limit=25)
    assert rows[0].activity == 0 and rows[-1].Membership.user_id == crowd[0].id
    assert cursor is None


def test_funnel_counts_distinct_visitors_and_views_are_buffered(world, app):
    for key in ("a", "a", "b"):
        landing_views.count_landing_view(world.planet, FunnelSource.REFERRAL, key, NOW)
    assert health.funnel(world.planet, NOW)[FunnelSource.REFERRAL][FunnelStage.VIEW] == 0
    landing_views.flush_landing_views(NOW)
    health.record_funnel_event(world.planet.id, "checkout", "referral", "a", NOW)
    health.record_funnel_event(world.planet.id, "paid", "referral", "a", NOW)
    db.session.commit()
    table = health.funnel(world.planet, NOW)
    assert [table[FunnelSource.REFERRAL][s] for s in FunnelStage] == [2, 1, 1]


def test_health_page_and_csv_owner_only(world, as_user, crowd):
    _seed(world.planet, crowd[1], 0, 2)
    db.session.commit()
    owner = as_user(world.owner)
    for table in (
        "weekly_active",
        "members",
        "cooling",
        "unanswered",
        "retention",
        "funnel",
        "least_active",
    ):
        response = owner.get(f"/p/alpha/health/{table}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "<svg" in owner.get("/p/alpha/health").get_data(as_text=True)
    assert as_user(world.member).get("/p/alpha/health/members.csv").status_code == 403
