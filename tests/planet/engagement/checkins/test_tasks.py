"""The worker entry points commit the sweeps and send each reminder once."""

from datetime import UTC, date, datetime, time

from planet import jobs
from planet.engagement.checkins import services as checkins
from planet.extensions import db


def test_checkin_reminder_task_commits_and_is_idempotent(world, monkeypatch):
    from workers import engagement_tasks

    challenge = checkins.create_challenge(
        world.planet,
        world.owner,
        checkins.ChallengeInput("c", "", date(2025, 3, 1), 5, window_end=time(22)),
    )
    checkins.check_in(
        world.planet, challenge, world.member, "x", now=datetime(2025, 3, 1, 2, tzinfo=UTC)
    )
    db.session.commit()
    sent = []
    monkeypatch.setitem(jobs.registry, "engagement.checkin_reminder", lambda **kw: sent.append(kw))
    evening = datetime(2025, 3, 2, 12, 30, tzinfo=UTC)
    assert engagement_tasks.checkin_reminders(evening)["reminded"] == 1
    assert engagement_tasks.checkin_reminders(evening)["reminded"] == 0
    assert engagement_tasks.event_reminders(evening)["reminded"] == 0
    assert len(sent) == 1
