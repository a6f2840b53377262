"""The health area counts members in the renewal grace period as active members (the
least-active report and its CSV), and leaves out members whose grace is over."""

from planet.engagement.insights import health
from planet.models import utcnow


def test_least_active_counts_grace_members_not_lapsed(world, standings, as_user):
    standings.settle()
    now = utcnow()

    rows, _ = health.least_active(world.planet, now, 4)
    user_ids = {row.Membership.user_id for row in rows}
    assert standings.grace.id in user_ids
    assert standings.lapsed.id not in user_ids
    exported = {row[0] for row in health.least_active_export(world.planet, now)}
    assert exported == user_ids

    client = as_user(world.owner)
    page = client.get("/p/alpha/points/inactive").get_data(as_text=True)
    assert "Gina" in page
    assert "Lars" not in page
    csv = client.get("/p/alpha/health/least_active.csv").get_data(as_text=True)
    assert "Gina" in csv
    assert "Lars" not in csv
