"""Check-ins: once per local day, windows, late rules, streaks, time zones, reminders."""

from datetime import UTC, date, datetime, time

import pytest

from planet import jobs
from planet.engagement.checkins import services as checkins
from planet.engagement.checkins.models import CheckIn, CheckInReminder
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.storage import storage

# Files are stored on this machine and in an S3 bucket (tests/plugins/s3.py): both must work.
pytestmark = pytest.mark.usefixtures("storage_backend")


def _challenge(world, start=date(2025, 3, 1), length=21, **kw):
    data = checkins.ChallengeInput("Read daily", "", start, length, **kw)
    challenge = checkins.create_challenge(world.planet, world.owner, data)
    db.session.commit()
    return challenge


def test_create_challenge_refuses_zero_or_negative_length(world, as_user):
    client = as_user(world.owner)
    for length in ("0", "-3"):
        response = client.post(
            "/p/alpha/challenges/new",
            data={
                "title": "X",
                "start_date": "2025-03-01",
                "length_days": length,
                "late_allowed": "y",
            },
        )
        assert response.status_code == 400
        assert "at least one day" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(checkins.Challenge)) == 0


def test_member_cannot_create_challenge(world, as_user):
    client = as_user(world.member)
    response = client.post(
        "/p/alpha/challenges/new",
        data={"title": "X", "start_date": "2025-03-01", "length_days": "5"},
    )
    assert response.status_code == 403


def test_check_in_twice_a_day_is_409_and_writes_nothing(world, as_user):
    challenge = _challenge(world, start=date.today().replace(day=1), length=60)
    client = as_user(world.member)
    first = client.post(f"/p/alpha/challenges/{challenge.id}/checkin", data={"body": "day one"})
    assert first.status_code == 302
    second = client.post(f"/p/alpha/challenges/{challenge.id}/checkin", data={"body": "again"})
    assert second.status_code == 409
    assert "already checked in today" in second.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 1


def test_local_day_follows_planet_time_zone_around_midnight(world):
    # Asia/Shanghai is UTC+8: 15:59 UTC is 23:59 local on the 1st, 16:01 UTC is 00:01 on the 2nd.
    challenge = _challenge(world)
    a = checkins.check_in(
        world.planet,
        challenge,
        world.member,
        "late night",
        now=datetime(2025, 3, 1, 15, 59, tzinfo=UTC),
    )
    b = checkins.check_in(
        world.planet,
        challenge,
        world.member,
        "just after midnight",
        now=datetime(2025, 3, 1, 16, 1, tzinfo=UTC),
    )
    assert (a.day, b.day) == (date(2025, 3, 1), date(2025, 3, 2))
    progress = checkins.progress_of(challenge, world.member.id)
    assert (progress.current_streak, progress.total_days) == (2, 2)
    with pytest.raises(Conflict):
        checkins.check_in(
            world.planet,
            challenge,
            world.member,
            "same local day",
            now=datetime(2025, 3, 2, 10, 0, tzinfo=UTC),
        )


def test_dst_change_keeps_local_days(world, make):
    # America/New_York springs forward on 2025-03-09 (a 23-hour day).
    world.planet.timezone = "America/New_York"
    db.session.commit()
    challenge = _challenge(world, start=date(2025, 3, 8), length=3)
    days = []
    for moment in (
        datetime(2025, 3, 9, 4, 30, tzinfo=UTC),  # 23:30 EST on the 8th
        datetime(2025, 3, 10, 3, 30, tzinfo=UTC),  # 23:30 EDT on the 9th
        datetime(2025, 3, 10, 4, 30, tzinfo=UTC),
    ):  # 00:30 EDT on the 10th
        days.append(checkins.check_in(world.planet, challenge, world.member, "x", now=moment).day)
    assert days == [date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 10)]
    assert checkins.progress_of(challenge, world.member.id).current_streak == 3


def test_window_and_late_rules(world):
    strict = _challenge(world, window_start=time(6), window_end=time(9), late_allowed=False)
    with pytest.raises(ServiceError, match="open at 06:00"):  # 05:00 local
        checkins.check_in(
            world.planet,
            strict,
            world.member,
            "x",
            now=datetime(2025, 3, 1, 21, 0, tzinfo=UTC).replace(day=28, month=2),
        )
    with pytest.raises(ServiceError, match="late check-ins are not accepted"):  # 10:00 local
        checkins.check_in(
            world.planet, strict, world.member, "x", now=datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
        )
    lenient = _challenge(world, window_start=time(6), window_end=time(9), late_allowed=True)
    late = checkins.check_in(
        world.planet, lenient, world.member, "x", now=datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
    )
    assert late.is_late


def test_outside_challenge_days_refused(world):
    challenge = _challenge(world, start=date(2025, 3, 1), length=2)
    with pytest.raises(ServiceError, match="not started"):
        checkins.check_in(
            world.planet, challenge, world.member, "x", now=datetime(2025, 2, 28, 1, 0, tzinfo=UTC)
        )
    with pytest.raises(ServiceError, match="ended"):
        checkins.check_in(
            world.planet, challenge, world.member, "x", now=datetime(2025, 3, 3, 1, 0, tzinfo=UTC)
        )


def test_leaderboards_and_stats(world, make):
    other = make.user(name="Ola")
    make.member(world.planet, other)
    challenge = _challenge(world)
    for day in (1, 2, 3):
        checkins.check_in(
            world.planet, challenge, world.member, "m", now=datetime(2025, 3, day, 2, tzinfo=UTC)
        )
    checkins.check_in(world.planet, challenge, other, "o", now=datetime(2025, 3, 1, 2, tzinfo=UTC))
    checkins.check_in(world.planet, challenge, other, "o", now=datetime(2025, 3, 3, 2, tzinfo=UTC))
    db.session.commit()
    today = date(2025, 3, 3)
    streak = checkins.leaderboard(challenge, "streak", today)
    assert [(p.user_id, p.current_streak) for p in streak] == [(world.member.id, 3), (other.id, 1)]
    total = checkins.leaderboard(challenge, "total", today)
    assert [p.total_days for p in total] == [3, 2]
    stats = dict(checkins.daily_stats(challenge))
    assert stats[date(2025, 3, 1)] == 2 and stats[date(2025, 3, 2)] == 1
    assert checkins.completion_rate(challenge, today) == pytest.approx(5 / 6)


def test_reminder_sweep_is_idempotent_and_skips_those_done(world, make, monkeypatch):
    other = make.user()
    make.member(world.planet, other)
    challenge = _challenge(world, window_end=time(22))
    checkins.check_in(
        world.planet, challenge, world.member, "d1", now=datetime(2025, 3, 1, 2, tzinfo=UTC)
    )
    checkins.check_in(world.planet, challenge, other, "d1", now=datetime(2025, 3, 1, 2, tzinfo=UTC))
    checkins.check_in(world.planet, challenge, other, "d2", now=datetime(2025, 3, 2, 2, tzinfo=UTC))
    db.session.commit()
    sent = []
    monkeypatch.setitem(jobs.registry, "engagement.checkin_reminder", lambda **kw: sent.append(kw))
    evening = datetime(2025, 3, 2, 12, 30, tzinfo=UTC)  # 20:30 local, window closes 22:00
    assert checkins.due_checkin_reminders(datetime(2025, 3, 2, 4, tzinfo=UTC))["reminded"] == 0
    assert checkins.due_checkin_reminders(evening)["reminded"] == 1
    assert checkins.due_checkin_reminders(evening)["reminded"] == 0
    jobs.commit()
    assert [kw["user_id"] for kw in sent] == [world.member.id]
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckInReminder)) == 1


def test_other_planet_member_cannot_see_challenge(world, make, as_user):
    challenge = _challenge(world)
    beta = make.planet(world.outsider, slug="beta")
    client = as_user(world.outsider)
    assert client.get(f"/p/alpha/challenges/{challenge.id}").status_code == 403
    assert client.get(f"/p/beta/challenges/{challenge.id}").status_code == 404
    assert beta.slug == "beta"


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), (20, 160, 130)).save(out, "PNG")
    return out.getvalue()


def test_check_in_image_is_shown_to_the_other_members_only(world, make, as_user, app):
    from io import BytesIO

    from planet.content.models import Attachment

    other = make.user(name="Ola")
    make.member(world.planet, other)
    challenge = _challenge(world, start=date.today().replace(day=1), length=60)
    client = as_user(world.member)
    response = client.post(
        f"/p/alpha/challenges/{challenge.id}/checkin",
        data={"body": "", "image": (BytesIO(_png()), "run.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    checkin = db.session.scalar(db.select(CheckIn))
    assert checkin.image_key
    url = f"/p/alpha/challenges/{challenge.id}/images/{checkin.image_key}"
    page = as_user(other).get(f"/p/alpha/challenges/{challenge.id}").get_data(as_text=True)
    assert url in page
    image = as_user(other).get(url)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "private, no-store"
    assert as_user(world.outsider).get(url).status_code == 403
    beta = make.planet(world.outsider, slug="beta")
    assert (
        as_user(world.outsider)
        .get(f"/p/{beta.slug}/challenges/{challenge.id}/images/{checkin.image_key}")
        .status_code
        == 404
    )
    # A refused second check-in with an image stores neither a row nor a file.
    files_before = list(storage().iter_keys())
    again = as_user(world.member).post(
        f"/p/alpha/challenges/{challenge.id}/checkin",
        data={"body": "again", "image": (BytesIO(_png()), "again.png")},
        content_type="multipart/form-data",
    )
    assert again.status_code == 409
    assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == 1
    assert list(storage().iter_keys()) == files_before


def test_check_in_with_a_file_that_is_not_an_image_is_400(world, as_user):
    from io import BytesIO

    challenge = _challenge(world, start=date.today().replace(day=1), length=60)
    response = as_user(world.member).post(
        f"/p/alpha/challenges/{challenge.id}/checkin",
        data={"body": "x", "image": (BytesIO(b"%PDF-1.4 not an image"), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "PNG, JPEG" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 0
