"""Events: the upcoming list, creating and cancelling one, RSVPs and the .ics file.

Thin: load (lookup), check access (policy), call a service, render.
"""

from __future__ import annotations

from flask import Response, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from planet.engagement.common import (
    Action,
    ActionForm,
    bp,
    form_page,
    load_item,
    load_planet,
    render,
    show_created,
)
from planet.engagement.events import services
from planet.engagement.events.forms import EventForm
from planet.engagement.events.models import Event, Recurrence
from planet.models import utcnow


@bp.route("/events", endpoint="events")
def events_list(slug):
    planet = load_planet(slug, Action.READ)
    now = utcnow()
    rows = [
        (event, start, services.countdown(start, now))
        for event, start in services.upcoming(planet, now)
    ]
    return render("events/events.html", planet, rows=rows, active_tab="engagement.events")


@bp.route("/events/new", methods=["GET", "POST"])
def new_event(slug):
    planet = load_planet(slug, Action.MANAGE_EVENTS)
    form = EventForm()

    def save():
        return services.create_event(
            planet,
            current_user,
            title=form.title.data,
            description=form.description.data or "",
            location=form.location.data or "",
            local_date=form.date.data,
            local_time=form.time.data,
            recurrence=Recurrence(form.recurrence.data),
            duration_minutes=form.duration_minutes.data,
            remind_minutes=form.remind_minutes.data,
        )

    created = _("The event is created. Members can now say they are going.")
    done = show_created(planet, "engagement.event", "eid", created)

    return form_page(
        form,
        save,
        done,
        "events/event_form.html",
        planet,
        tz=planet.timezone,
        active_tab="engagement.events",
    )


@bp.route("/events/<int:eid>")
def event(slug, eid):
    planet, item = load_item(slug, Action.READ, Event, eid)
    now = utcnow()
    start = services.next_occurrence(planet, item, now)
    going = services.attendees(item, start) if start else []
    return render(
        "events/event.html",
        planet,
        event=item,
        start=start,
        going=going,
        countdown=services.countdown(start, now) if start else None,
        mine=services.rsvp_of(item, start, current_user.id) if start else None,
        form=ActionForm(),
        active_tab="engagement.events",
    )


@bp.route("/events/<int:eid>/rsvp", methods=["POST"])
def rsvp(slug, eid):
    planet, item = load_item(slug, Action.RSVP, Event, eid)
    services.rsvp(planet, item, current_user)
    flash(_("See you there!"), "success")
    return redirect(url_for("engagement.event", slug=planet.slug, eid=item.id))


@bp.route("/events/<int:eid>/rsvp/cancel", methods=["POST"])
def cancel_rsvp(slug, eid):
    planet, item = load_item(slug, Action.RSVP, Event, eid)
    services.cancel_rsvp(planet, item, current_user)
    flash(_("You are no longer going."), "success")
    return redirect(url_for("engagement.event", slug=planet.slug, eid=item.id))


@bp.route("/events/<int:eid>/cancel", methods=["POST"])
def cancel_event(slug, eid):
    planet, item = load_item(slug, Action.MANAGE_EVENTS, Event, eid)
    services.cancel_event(planet, item, current_user)
    flash(_("The event was cancelled."), "success")
    return redirect(url_for("engagement.events", slug=planet.slug))


@bp.route("/events/<int:eid>.ics")
def event_ics(slug, eid):
    planet, item = load_item(slug, Action.READ, Event, eid)
    url = url_for("engagement.event", slug=planet.slug, eid=item.id, _external=True)
    return Response(
        services.to_ics(planet, item, url),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{item.id}.ics"'},
    )
