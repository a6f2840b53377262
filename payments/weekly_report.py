"""The owner's weekly report: last week's members, income, most read topics, waiting questions
and the cooling alert, mailed on the owner's chosen weekday and shown as a page.

The week is the seven planet-local days before the local day the report goes out (a report sent
on Monday covers Monday to Sunday of the week before). Every figure comes from its own home:
membership changes (planet/engagement/insights/health.py), the ledger (payments/reports.py),
free seats (planet/members/comp.py), topic reads (planet/engagement/insights/landing_views.py).
The mail goes through the outbox under `weekly-report:<planet>:<week start>`: once per planet
and week, however often the hourly sweep runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from payments import reports
from planet.content.models import Topic
from planet.engagement.clock import local_now, to_utc
from planet.engagement.insights import health
from planet.engagement.insights.models import TopicRead
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.members.comp import seat_counts
from planet.notifications import outbox
from planet.notifications.digest import excerpt
from planet.planets.models import Planet

log = logging.getLogger(__name__)
SEND_AT = time(8, 0)
"""Planet-local time from which the report goes out on its day."""
TOP_TOPICS = 5
WAITING_SHOWN = 5
SWEEP_BATCH = 500


@dataclass
class WeeklyReport:
    planet: Planet
    week: tuple[date, date]
    """First and last local day covered."""
    new: int = 0
    renewed: int = 0
    lapsed: int = 0
    refunded: int = 0
    income: dict = field(default_factory=dict)
    seats: dict = field(default_factory=dict)
    top_topics: list = field(default_factory=list)
    """[(Topic, readers)] most read first."""
    waiting: list = field(default_factory=list)
    waiting_count: int = 0
    cooling: object = None


def report_week(planet: Planet, now: datetime) -> tuple[date, date]:
    """The seven local days before today (in the planet's time zone)."""
    today = local_now(planet, now).date()
    return today - timedelta(days=7), today - timedelta(days=1)


def build(planet: Planet, now: datetime) -> WeeklyReport:
    first, last = report_week(planet, now)
    since, until = to_utc(planet, first, time(0)), to_utc(planet, last + timedelta(days=1), time(0))
    changes = health.membership_changes(planet, since, until)
    waiting = health.unanswered_questions(planet, now, limit=100)
    return WeeklyReport(
        planet=planet,
        week=(first, last),
        new=changes.get("joined", 0),
        renewed=changes.get("renewed", 0),
        lapsed=changes.get("expired", 0),
        refunded=changes.get("refunded", 0),
        income=reports.income_between(planet.id, since, until),
        seats=seat_counts(planet, now),
        top_topics=most_read(planet, first, last),
        waiting=waiting[:WAITING_SHOWN],
        waiting_count=len(waiting),
        cooling=health.cooling(planet, now),
    )


def most_read(planet: Planet, first: date, last: date, limit: int = TOP_TOPICS) -> list:
    readers = func.count(TopicRead.id).label("readers")
    counted = (
        select(TopicRead.topic_id, readers)
        .where(TopicRead.planet_id == planet.id, TopicRead.day.between(first, last))
        .group_by(TopicRead.topic_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Topic, counted.c.readers)
        .join(counted, counted.c.topic_id == Topic.id)
        .where(Topic.deleted_at.is_(None))
        .order_by(counted.c.readers.desc(), Topic.id.desc())
        .limit(limit)
    ).all()
    return [(topic, int(count)) for topic, count in rows]


def purpose(planet: Planet, week: tuple[date, date]) -> str:
    return f"weekly-report:{planet.id}:{week[0].isoformat()}"


def subject(report: WeeklyReport) -> str:
    return _(
        "%(planet)s: your week, %(first)s to %(last)s",
        planet=report.planet.name,
        first=report.week[0].isoformat(),
        last=report.week[1].isoformat(),
    )


def render(report: WeeklyReport, *, for_mail: bool) -> dict:
    """Subject, text and HTML of the report (in the current locale)."""
    planet = report.planet
    base = current_app.config["BASE_URL"].rstrip("/")
    context = {
        "report": report,
        "planet": planet,
        "base": base,
        "for_mail": for_mail,
        "planet_url": f"{base}/p/{planet.slug}",
        "settings_url": f"{base}/p/{planet.slug}/weekly-report",
        "topic_url": lambda topic: f"{base}/p/{planet.slug}/t/{topic.id}",
        "excerpt": excerpt,
    }
    return {
        "subject": subject(report),
        "text": render_template("email/weekly_report.txt", **context),
        "html": render_template("email/weekly_report.html", **context),
    }


def queue_report(planet: Planet, now: datetime) -> int | None:
    """Queue this week's report to the owner (None when it was queued before or the owner has
    no address)."""
    owner = planet.owner
    if not owner.email:
        return None
    week = report_week(planet, now)
    key = purpose(planet, week)
    if outbox.already_queued(owner.email, key):
        return None
    with in_recipient_language(owner):
        mail = render(build(planet, now), for_mail=True)
    return outbox.queue_email(owner.email, key, mail["subject"], mail["text"], mail["html"])


def is_due(planet: Planet, now: datetime) -> bool:
    if planet.weekly_report_day is None or planet.dissolved_at is not None:
        return False
    local = local_now(planet, now)
    return local.weekday() == planet.weekly_report_day and local.time() >= SEND_AT


def sweep_weekly_reports(now: datetime) -> dict:
    """Hourly: queue the report of every planet whose day it is (past SEND_AT, local time),
    one commit per batch of planets; the outbox key makes a re-run harmless."""
    after, queued, seen = 0, 0, 0
    while True:
        planets = db.session.scalars(
            select(Planet)
            .where(Planet.id > after, Planet.weekly_report_day.is_not(None))
            .order_by(Planet.id)
            .limit(SWEEP_BATCH)
        ).all()
        if not planets:
            break
        for planet in planets:
            seen += 1
            if is_due(planet, now) and queue_report(planet, now) is not None:
                queued += 1
        after = planets[-1].id
        db.session.commit()
        outbox.deliver_new()
    if queued:
        log.info("weekly reports queued", extra={"queued": queued})
    return {"planets": seen, "queued": queued}
