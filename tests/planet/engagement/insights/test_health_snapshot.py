"""Health snapshots: the page reads them, they agree with the live computation, the periodic job
recomputes only what is due and changed, and the owner's refresh is deferred and rate-limited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from planet import jobs
from planet.accounts.models import User
from planet.engagement.insights import health, health_snapshot
from planet.engagement.insights.activity import record_activity
from planet.engagement.insights.health_snapshot import HealthSnapshot
from planet.engagement.insights.models import ActivityKind
from planet.extensions import db
from tests.planet.engagement.insights.figures import add_snapshot_row, live_figures

NOW = datetime(2025, 6, 18, 4, 0, tzinfo=UTC)  # Wednesday noon in Shanghai
_ref = iter(range(1, 10**6))


def _seed(planet, user_id, weeks_ago: int, count: int, kind=ActivityKind.COMMENT, now=NOW):
    for _ in range(count):
        record_activity(planet.id, user_id, kind, next(_ref), now - timedelta(weeks=weeks_ago))


def _history(world, make, now):
    ids = [world.owner.id, world.member.id] + [make.member(world.planet).user_id for _ in range(28)]
    kinds = [ActivityKind.TOPIC, ActivityKind.ANSWER, ActivityKind.COMMENT, ActivityKind.CHECKIN]
    for weeks_ago in range(0, 9):
        for i, user_id in enumerate(ids[:3]):
            count = (12 - i) if weeks_ago >= 5 else (i == 2) * 5
            _seed(world.planet, user_id, weeks_ago, count, now=now)
        for i, user_id in enumerate(ids[3:20]):
            if (i + weeks_ago) % 3:
                kind = kinds[(i + weeks_ago) % 4]
                _seed(world.planet, user_id, weeks_ago, 1 + i % 4, kind, now=now)
    db.session.get(User, ids[5]).display_name = "=SUM(A1)"
    db.session.commit()
    return ids


@pytest.fixture
def history(world, make):
    """30 members with eight weeks of mixed activity: the top three go quiet, one of them only
    half-way; a tie in the middle; one member renamed to look like a formula."""
    return _history(world, make, NOW)


def _as_plain(result):
    cooling = result.cooling
    return {
        "weekly": list(result.weekly),
        "members": [(row[0].id, *row[1:]) for row in result.members],
        "share": {**result.share, "share": float(result.share["share"])},
        "cooling": (
            cooling.alert,
            cooling.baseline_total,
            cooling.recent_total,
            cooling.group_size,
            [(user.id, base, recent) for user, base, recent in cooling.quiet],
            tuple(cooling.baseline_weeks),
            tuple(cooling.recent_weeks),
        ),
    }


def _request(planet, now=NOW) -> bool:
    queued = health_snapshot.request_refresh(planet, now)
    jobs.commit()
    return queued


def _row(planet) -> HealthSnapshot | None:
    db.session.expire_all()
    return db.session.get(HealthSnapshot, planet.id)


def test_snapshot_agrees_with_the_live_computation(world, history, monkeypatch):
    monkeypatch.setattr(health_snapshot, "utcnow", lambda: NOW)  # the deferred job's clock
    live = _as_plain(live_figures(world.planet, NOW))
    assert live["cooling"][0] and live["cooling"][4]  # the history does raise the alert
    assert _request(world.planet)  # the deferred job computes it after the commit
    row = _row(world.planet)
    assert row.computed_at == NOW and row.member_count == 30 and row.due_at > NOW
    stored = health_snapshot.activity_health(world.planet, NOW)
    assert stored.state == "snapshot"
    assert _as_plain(stored) == live
    # A small planet without a snapshot is computed live through the same document.
    db.session.delete(row)
    db.session.commit()
    fresh = health_snapshot.activity_health(world.planet, NOW)
    assert fresh.state == "live" and _as_plain(fresh) == live


def test_large_planet_page_waits_for_the_snapshot_and_a_get_writes_nothing(
    app, world, history, as_user
):
    app.config["HEALTH_LIVE_MAX_MEMBERS"] = 10
    owner = as_user(world.owner)
    page = owner.get("/p/alpha/health")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Activity figures are being computed" in text and "Recompute now" in text
    assert "Weekly active members" not in text  # no figures shown, none computed
    assert "Questions unanswered for more than 48 hours" in text  # the live part is there
    assert db.session.scalar(select(func.count()).select_from(HealthSnapshot)) == 0

    response = owner.post("/p/alpha/health/refresh")
    assert response.status_code == 303 and response.location.endswith("/p/alpha/health")
    row = _row(world.planet)
    assert row is not None and row.computed_at is not None  # the job ran after the commit
    text = owner.get("/p/alpha/health").get_data(as_text=True)
    assert "Activity figures computed at" in text and "<svg" in text
    assert "Recomputation asked for at" in text and "Recompute now" not in text


def test_refresh_is_owner_only_and_at_most_once_per_cooldown(world, as_user, make, monkeypatch):
    deferred = []
    monkeypatch.setattr(
        health_snapshot.jobs, "defer", lambda name, **kwargs: deferred.append((name, kwargs))
    )
    assert health_snapshot.request_refresh(world.planet, NOW)
    assert not health_snapshot.request_refresh(world.planet, NOW + timedelta(minutes=4))
    assert health_snapshot.request_refresh(world.planet, NOW + timedelta(minutes=5))
    assert deferred == [("engagement.refresh_health", {"planet_id": world.planet.id})] * 2
    db.session.rollback()

    other_owner = make.user()
    make.planet(other_owner, slug="beta")
    for user in (world.member, world.outsider, other_owner):
        assert as_user(user).post("/p/alpha/health/refresh").status_code == 403
    assert as_user(world.owner).post("/p/nowhere/health/refresh").status_code == 404
    assert _row(world.planet) is None  # the refused requests wrote nothing
    owner = as_user(world.owner)
    assert owner.get("/p/alpha/health/refresh").status_code == 405
    assert owner.post("/p/alpha/health/refresh").status_code == 303
    assert owner.post("/p/alpha/health/refresh", follow_redirects=True).status_code == 200
    assert len(deferred) == 3  # the second one, inside the cooldown, deferred nothing


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_refresh_without_a_token_is_refused(self, world, as_user):
        assert as_user(world.owner).post("/p/alpha/health/refresh").status_code == 400
        assert _row(world.planet) is None


def _tick(now: datetime) -> str:
    from workers.tasks import tick

    return tick.run("health_snapshots", now.isoformat())


def test_sweep_runs_once_per_period_and_recomputes_only_what_changed(app, world, history, make):
    app.config["HEALTH_LIVE_MAX_MEMBERS"] = 10
    small = make.planet(slug="small")  # one member: computed live, never opened
    dissolved = make.planet(slug="gone", dissolved_at=NOW - timedelta(days=1))
    dissolved.member_count = 500  # large, but read-only: not opened
    db.session.commit()
    assert _tick(NOW) == "done"
    assert _tick(NOW + timedelta(minutes=3)) == "skipped"  # same 15-minute period
    row = _row(world.planet)
    assert row.computed_at == NOW and _row(small) is None and _row(dissolved) is None
    first = row.data

    # Next period: nothing due (a computed snapshot is not looked at again for an hour).
    assert health_snapshot.due_planet_ids(NOW + timedelta(minutes=15)) == []
    assert _tick(NOW + timedelta(minutes=15)) == "done"
    assert _row(world.planet).computed_at == NOW

    # An hour on, nothing changed: only the due date moves.
    later = NOW + timedelta(hours=1)
    from workers import engagement_tasks

    assert engagement_tasks.health_snapshots(later) == {"opened": 0, "unchanged": 1}
    row = _row(world.planet)
    assert row.computed_at == NOW and row.due_at == later + health_snapshot.REFRESH_EVERY
    assert engagement_tasks.health_snapshots(later) == {"opened": 0}  # a re-run: nothing due

    # New activity: recomputed at the next due time, with the new figures.
    _seed(world.planet, history[4], 0, 30, now=later)
    db.session.commit()
    again = later + timedelta(hours=1)
    assert engagement_tasks.health_snapshots(again) == {"opened": 0, "computed": 1}
    row = _row(world.planet)
    assert row.computed_at == again and row.data != first
    assert _as_plain(health_snapshot.activity_health(world.planet, again)) == _as_plain(
        live_figures(world.planet, again)
    )


def test_due_date_follows_the_planet_week_and_member_count(world, history, monkeypatch):
    monkeypatch.setattr(health_snapshot, "utcnow", lambda: NOW)
    assert _request(world.planet)
    row = _row(world.planet)
    assert row.computed_at == NOW and row.due_at == NOW + health_snapshot.REFRESH_EVERY

    def due_at(moment):
        _row(world.planet).due_at = moment
        db.session.commit()
        return moment

    # Nothing changed: not recomputed, looked at again an hour later.
    assert health_snapshot.refresh_if_due(world.planet.id, NOW) == "not_due"
    at = NOW + timedelta(hours=1)
    assert health_snapshot.refresh_if_due(world.planet.id, at) == "unchanged"
    db.session.commit()
    assert _row(world.planet).due_at == at + health_snapshot.REFRESH_EVERY
    # A member leaving changes the top decile's size: recomputed.
    world.planet.member_count -= 1
    db.session.commit()
    assert health_snapshot.refresh_if_due(world.planet.id, due_at(at)) == "computed"
    db.session.commit()

    # A new local week moves every window: recomputed with no new activity.
    monday = datetime(2025, 6, 22, 16, 0, tzinfo=UTC)  # Monday 00:00 in Shanghai
    late_sunday = monday - timedelta(minutes=30)
    _row(world.planet).computed_at = late_sunday - timedelta(hours=1)
    db.session.commit()
    assert health_snapshot.refresh_if_due(world.planet.id, due_at(late_sunday)) == "unchanged"
    db.session.commit()
    assert _row(world.planet).due_at == monday  # the week's end comes before the hour
    assert health_snapshot.refresh_if_due(world.planet.id, monday) == "computed"
    db.session.commit()

    # Older than MAX_AGE: recomputed even though nothing seems to have changed.
    stale = monday + health_snapshot.MAX_AGE
    assert health_snapshot.refresh_if_due(world.planet.id, due_at(stale - timedelta(seconds=1)))
    db.session.commit()
    assert health_snapshot.refresh_if_due(world.planet.id, due_at(stale)) == "computed"


def test_sweep_with_nothing_due_costs_the_same_whatever_the_number_of_snapshots(
    app, make, query_counter
):
    from workers import engagement_tasks

    def sweep_cost(more_planets: int) -> int:
        for _ in range(more_planets):
            add_snapshot_row(make.planet(), NOW + timedelta(hours=1), member_count=1)
        db.session.commit()
        with query_counter() as counted:
            assert engagement_tasks.health_snapshots(NOW) == {"opened": 0}
        return counted.count

    few = sweep_cost(3)
    assert sweep_cost(20) == few  # 23 snapshots, none due: the same queries as 3


def test_every_csv_still_exports_in_full(world, make, as_user, app, monkeypatch):
    from planet.engagement.insights import views

    app.config["HEALTH_LIVE_MAX_MEMBERS"] = 10  # the page waits; the CSV files do not
    now = datetime.now(UTC)  # the CSV files are for the real now
    # ... read once: seeding the history and the requests take seconds, and a local week (or
    # day) that turns in between moves every window the files cover (Monday 00:00 Shanghai).
    monkeypatch.setattr(views, "utcnow", lambda: now)
    _history(world, make, now)
    owner = as_user(world.owner)

    def table(name):
        response = owner.get(f"/p/alpha/health/{name}.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        return list(csv.reader(io.StringIO(response.get_data(as_text=True))))

    members = table("members")
    assert members[0] == ["user_id", "name", "topics", "answers", "comments", "other", "total"]

    def safe(name):
        return "'" + name if name.startswith("=") else name

    expected = [
        [str(user.id), safe(user.display_name), *(str(n) for n in counts)]
        for user, *counts in health.by_member(world.planet, now, limit=None)
    ]
    assert members[1:] == expected and len(expected) == 18
    assert [row[1] for row in members if row[1].startswith("'")] == ["'=SUM(A1)"]
    least = table("least_active")
    expected, after = [], None
    for _ in range(10):  # 30 members: five pages of 7, across the idle/active boundary
        rows, after = health.least_active(world.planet, now, 4, after, limit=7)
        expected += [
            [str(r.Membership.user_id), r.Membership.user.display_name, str(r.activity)]
            for r in rows
        ]
        if after is None:
            break
    expected = [[uid, safe(name), n] for uid, name, n in expected]
    assert least[1:] == expected and len(expected) == 30
    assert len(table("weekly_active")) == 1 + 52
    quiet = health.cooling(world.planet, now, limit=100_000).quiet
    assert [row[0] for row in table("cooling")[1:]] == [str(user.id) for user, _, _ in quiet]
    assert len(quiet) == 3  # the third halved exactly: still named
    assert len(table("unanswered")) == 1 + len(health.unanswered_questions(world.planet, now))
    assert len(table("retention")) == 1 + 7 and len(table("funnel")) == 1 + 3
    assert as_user(world.member).get("/p/alpha/health/least_active.csv").status_code == 403
