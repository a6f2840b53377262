"""A wall-clock time a person types, read in their zone (planet/web/clock.py:utc_from_local):
the browser's zone first, a time the clocks skip refused, a repeated one its first occurrence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planet.web import clock


def _in_zone(app, zone: str):
    return app.test_request_context("/", headers={"Cookie": f"tz={zone}"})


def test_the_browsers_zone_reads_the_time(app):
    with _in_zone(app, "Asia/Shanghai"):
        assert clock.utc_from_local(datetime(2030, 6, 1, 9, 0)) == datetime(
            2030, 6, 1, 1, 0, tzinfo=UTC
        )
    with _in_zone(app, "America/New_York"):
        assert clock.utc_from_local(datetime(2030, 6, 1, 9, 0)) == datetime(
            2030, 6, 1, 13, 0, tzinfo=UTC
        )


@pytest.mark.parametrize(
    ("zone", "wall"),
    [
        ("America/New_York", datetime(2030, 3, 10, 2, 30)),  # spring forward: 02:00 -> 03:00
        ("Europe/Berlin", datetime(2030, 3, 31, 2, 15)),
        ("Australia/Sydney", datetime(2030, 10, 6, 2, 45)),
    ],
)
def test_a_time_the_clocks_skip_is_refused(app, zone, wall):
    with _in_zone(app, zone), pytest.raises(clock.NonexistentLocalTime):
        clock.utc_from_local(wall)


def test_a_repeated_time_is_its_first_occurrence(app):
    with _in_zone(app, "America/New_York"):  # fall back: 01:30 happens twice on 2030-11-03
        assert clock.utc_from_local(datetime(2030, 11, 3, 1, 30)) == datetime(
            2030, 11, 3, 5, 30, tzinfo=UTC
        )
        # the hour before and after the gap night are ordinary
        assert clock.utc_from_local(datetime(2030, 3, 10, 3, 30)) == datetime(
            2030, 3, 10, 7, 30, tzinfo=UTC
        )
