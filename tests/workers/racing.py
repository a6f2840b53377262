"""Run one piece of work in several threads released at the same instant, each in its own app
context (its own session and connection): the races the beat lock and the snapshot job face."""

from __future__ import annotations

import threading

from planet.extensions import db


def race(app, work, threads: int) -> list[str]:
    """Start `threads` threads that call `work()` together; their results, sorted. Any error in
    a thread fails the test."""
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def run():
        with app.app_context():  # its own session and connection
            try:
                barrier.wait()
                outcomes.append(work())
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(60)
    assert not errors, errors
    return sorted(outcomes)
