"""Inline handlers for the jobs payments owns (the workers route them to Celery later).

Each is a task body: it runs after the causing transaction committed, does its work through
the services, and commits once.
"""

from __future__ import annotations

import logging

from planet import jobs
from planet.extensions import db
from planet.planets.models import Planet

log = logging.getLogger(__name__)


@jobs.handler("payments.process_event")
def process_event(event_id: str) -> str:
    from payments.webhooks import run_process_event

    return run_process_event(event_id)


@jobs.handler("planets.dissolved")
def refund_dissolved_planet(planet_id: int) -> int:
    """A dissolved planet refunds every member the unused part of their year, pro rata."""
    from payments.refunds import refund_unused_time

    planet = db.session.get(Planet, planet_id)
    if planet is None or not planet.is_dissolved:
        return 0
    count = refund_unused_time(planet)
    jobs.commit()
    return count
