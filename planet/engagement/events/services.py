"""Rituals and events: one-off and weekly events in the planet's time zone, RSVP, the reminder
sweep, the countdown and an .ics file."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from planet import jobs, policy
from planet.engagement.clock import planet_tz, to_utc
from planet.engagement.columns import clean_title
from planet.engagement.events.models import Event, Recurrence, Rsvp
from planet.errors import Conflict, NotFound, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.text import render_markdown
from planet.web import shortcache

MAX_DURATION = 24 * 60
MAX_REMIND = 24 * 60
SWEEP_HORIZON = timedelta(minutes=MAX_REMIND)


def occurrence_start(planet: Planet, event: Event, index: int) -> datetime:
    """Start (UTC) of the index-th occurrence: same local wall time, 7 local days apart."""
    first_local = event.local_start.astimezone(planet_tz(planet))
    if event.recurrence is Recurrence.NONE:
        return event.local_start
    day = first_local.date() + timedelta(days=7 * index)
    return to_utc(planet, day, first_local.time().replace(tzinfo=None))


def next_occurrence(planet: Planet, event: Event, now: datetime) -> datetime | None:
    """Start of the first occurrence that is not over at `now` (None when none is left)."""
    if event.cancelled_at is not None:
        return None
    length = timedelta(minutes=event.duration_minutes)
    if event.recurrence is Recurrence.NONE:
        return event.local_start if event.local_start + length > now else None
    index = max(0, (now - event.local_start).days // 7 - 1)
    while True:
        start = occurrence_start(planet, event, index)
        if start + length > now:
            return start
        index += 1


def create_event(
    planet: Planet,
    actor,
    *,
    title: str,
    description: str = "",
    location: str = "",
    local_date: date,
    local_time: time,
    recurrence: Recurrence = Recurrence.NONE,
    duration_minutes: int = 60,
    remind_minutes: int = 60,
    now: datetime | None = None,
) -> Event:
    policy.require(actor, policy.Action.MANAGE_EVENTS, planet)
    now = now or utcnow()
    title = clean_title(title, _l("An event needs a title."))
    if local_date is None or local_time is None:
        raise ServiceError(_l("Choose a date and a time."))
    if not duration_minutes or not 0 < duration_minutes <= MAX_DURATION:
        raise ServiceError(_l("The duration must be between 1 minute and 24 hours."))
    if remind_minutes is None or not 0 <= remind_minutes <= MAX_REMIND:
        raise ServiceError(_l("The reminder must be between 0 minutes and 24 hours before."))
    start = to_utc(planet, local_date, local_time)
    if recurrence is Recurrence.NONE and start <= now:
        raise ServiceError(_l("The event must start in the future."))
    event = Event(
        planet_id=planet.id,
        author_id=actor.id,
        title=title,
        description=description or "",
        description_html=render_markdown(description or ""),
        location=(location or "").strip()[:200],
        recurrence=recurrence,
        local_start=start,
        duration_minutes=duration_minutes,
        remind_minutes=remind_minutes,
    )
    event.next_start_at = next_occurrence(planet, event, now)
    db.session.add(event)
    db.session.flush()
    shortcache.invalidate(STRIP, planet.id)
    return event


def cancel_event(planet: Planet, event: Event, actor, now: datetime | None = None) -> Event:
    policy.require(actor, policy.Action.MANAGE_EVENTS, planet)
    event.cancelled_at = now or utcnow()
    event.next_start_at = None
    db.session.flush()
    shortcache.invalidate(STRIP, planet.id)
    return event


def rsvp(planet: Planet, event: Event, user, now: datetime | None = None) -> Rsvp:
    """RSVP to the next occurrence; an event that is over or has started is refused."""
    policy.require(user, policy.Action.RSVP, planet)
    now = now or utcnow()
    if event.cancelled_at is not None:
        raise ServiceError(_l("This event was cancelled."))
    start = next_occurrence(planet, event, now)
    if start is None:
        raise ServiceError(_l("This event is over."))
    if start <= now:
        raise ServiceError(_l("This event has already started."))
    existing = rsvp_of(event, start, user.id)
    if existing is not None:
        raise Conflict(_l("You have already said you are coming."))
    row = Rsvp(event_id=event.id, occurrence_start=start, user_id=user.id, created_at=now)
    db.session.add(row)
    db.session.flush()
    return row


def cancel_rsvp(planet: Planet, event: Event, user, now: datetime | None = None) -> None:
    policy.require(user, policy.Action.RSVP, planet)
    now = now or utcnow()
    start = next_occurrence(planet, event, now)
    row = rsvp_of(event, start, user.id) if start else None
    if row is None:
        raise NotFound(_l("You have not said you are coming."))
    db.session.delete(row)
    db.session.flush()


def rsvp_of(event: Event, start: datetime, user_id: int) -> Rsvp | None:
    return db.session.scalar(
        select(Rsvp).where(
            Rsvp.event_id == event.id, Rsvp.occurrence_start == start, Rsvp.user_id == user_id
        )
    )


def attendees(event: Event, start: datetime, limit: int = 100):
    return db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.occurrence_start == start)
        .options(joinedload(Rsvp.user))
        .order_by(Rsvp.id)
        .limit(limit)
    ).all()


@dataclass(frozen=True)
class EventRecord:
    """What the strip under the header needs of an event (and next_occurrence reads)."""

    id: int
    title: str
    recurrence: Recurrence
    local_start: datetime
    duration_minutes: int
    cancelled_at: datetime | None


STRIP = "next_events"
STRIP_EVENTS = 5


@functools.cache
def _strip_statement():
    """Built once (every planet page runs it when its cache has expired)."""
    return (
        select(*(getattr(Event, field.name) for field in fields(EventRecord)))
        .where(Event.planet_id == bindparam("planet_id"), Event.next_start_at.is_not(None))
        .order_by(Event.next_start_at, Event.id)
        .limit(STRIP_EVENTS)
    )


def next_events(planet: Planet, now: datetime) -> list[tuple[EventRecord, datetime]]:
    """The strip's soonest events with their next start, computed live from records kept a few
    seconds per process (planet/web/shortcache.py; creating or cancelling an event, or the
    sweep moving one on, invalidates them)."""
    records = shortcache.cached(
        STRIP,
        planet.id,
        lambda: tuple(
            EventRecord(*row)
            for row in db.session.execute(_strip_statement(), {"planet_id": planet.id})
        ),
    )
    return _live(planet, records, now)


def upcoming(planet: Planet, now: datetime, limit: int = 50) -> list[tuple[Event, datetime]]:
    """Events with an occurrence not yet over, soonest first (computed live, so a late sweep
    never shows a stale time)."""
    events = db.session.scalars(
        select(Event)
        .where(Event.planet_id == planet.id, Event.next_start_at.is_not(None))
        .order_by(Event.next_start_at, Event.id)
        .limit(limit)
    ).all()
    return _live(planet, events, now)


def _live(planet: Planet, events, now: datetime) -> list[tuple[Event, datetime]]:
    pairs = [(event, next_occurrence(planet, event, now)) for event in events]
    return sorted(((e, s) for e, s in pairs if s is not None), key=lambda pair: pair[1])


def countdown(start: datetime, now: datetime) -> dict:
    seconds = max(0, int((start - now).total_seconds()))
    return {
        "days": seconds // 86400,
        "hours": seconds % 86400 // 3600,
        "minutes": seconds % 3600 // 60,
        "started": start <= now,
    }


def send_event_reminders(now: datetime | None = None) -> dict:
    """Sweep: for occurrences starting within their reminder lead, remind those who RSVP'd
    (once per occurrence and member); move finished recurring events to their next occurrence.
    Reads only events due within the next 24 hours (indexed). Flushes; the caller commits."""
    now = now or utcnow()
    events = db.session.scalars(
        select(Event)
        .where(Event.next_start_at.is_not(None), Event.next_start_at <= now + SWEEP_HORIZON)
        .order_by(Event.next_start_at)
        .with_for_update(skip_locked=True)
    ).all()
    reminded = advanced = 0
    for event in events:
        planet = db.session.get(Planet, event.planet_id)
        start = next_occurrence(planet, event, now)
        if start != event.next_start_at:
            event.next_start_at = start
            shortcache.invalidate(STRIP, planet.id)
            advanced += 1
        if start is None or start <= now or event.reminded_start_at == start:
            continue
        if now < start - timedelta(minutes=event.remind_minutes):
            continue
        rows = db.session.scalars(
            select(Rsvp).where(
                Rsvp.event_id == event.id,
                Rsvp.occurrence_start == start,
                Rsvp.reminded_at.is_(None),
            )
        ).all()
        for row in rows:
            row.reminded_at = now
            jobs.defer(
                "engagement.event_reminder",
                event_id=event.id,
                user_id=row.user_id,
                starts_at=start.isoformat(),
            )
            reminded += 1
        event.reminded_start_at = start
    db.session.flush()
    return {"reminded": reminded, "advanced": advanced, "events": len(events)}


def to_ics(planet: Planet, event: Event, url: str = "") -> bytes:
    """An RFC 5545 calendar with the event in the planet's time zone (VTIMEZONE included), a
    weekly RRULE for recurring events."""
    import icalendar

    tz = planet_tz(planet)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Planet//Community events//EN")
    calendar.add("version", "2.0")
    item = icalendar.Event()
    item.add("uid", f"event-{event.id}@planet-{planet.slug}")
    item.add("summary", event.title)
    if event.description:
        item.add("description", event.description)
    if event.location:
        item.add("location", event.location)
    if url:
        item.add("url", url)
    start_local = event.local_start.astimezone(tz)
    item.add("dtstart", start_local)
    item.add("dtend", start_local + timedelta(minutes=event.duration_minutes))
    item.add("dtstamp", event.created_at)
    if event.recurrence is Recurrence.WEEKLY:
        item.add("rrule", {"freq": "weekly"})
    if event.cancelled_at is not None:
        item.add("status", "CANCELLED")
    calendar.add_component(item)
    calendar.add_missing_timezones()
    return calendar.to_ical()
