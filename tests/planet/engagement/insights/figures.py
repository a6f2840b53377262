"""What the health tests share: the live figures, computed straight from planet.engagement's
health functions (the oracle the snapshots are compared with), and an empty snapshot row."""

from __future__ import annotations

from planet.engagement.insights import health, health_snapshot
from planet.extensions import db


def live_figures(planet, now) -> health_snapshot.ActivityHealth:
    return health_snapshot.ActivityHealth(
        "live",
        now,
        weekly=health.weekly_active(planet, now, health_snapshot.WEEKS_SHOWN),
        members=health.by_member(planet, now),
        share=health.top_decile_share(planet, now),
        cooling=health.cooling(planet, now),
    )


def add_snapshot_row(planet, due_at, member_count: int = 0) -> None:
    """A planet's snapshot row, not computed yet, due at `due_at` (added, not flushed)."""
    db.session.add(
        health_snapshot.HealthSnapshot(
            planet_id=planet.id, due_at=due_at, member_count=member_count, duration_ms=0, data=""
        )
    )
