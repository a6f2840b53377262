"""The owner's first hour: a short checklist on the planet's pages after it is created.

Five steps, each done or not as the data says (nothing is ticked by hand): a cover and a
description, the price and the rules, a first topic, the invite link shared (someone else opened
the landing page, or joined), a guest named. Each step links to where it is done. The list shows
to whoever may edit the planet's settings (the owner), until every step is done or the owner
puts it away.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy import exists, select

from planet import policy
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership, Planet, Role
from planet.policy import Action
from planet.web.links import external_url

STEPS = ("profile", "pricing", "topic", "invite", "guest")


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    done: bool
    url: str


@dataclass(frozen=True, slots=True)
class Checklist:
    steps: tuple[Step, ...]
    invite_url: str
    dismiss_url: str

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)


def _has_guest(planet: Planet) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Membership.planet_id == planet.id,
                    Membership.role == Role.GUEST,
                    Membership.active_at(utcnow()),
                )
            )
        )
    )


def _invited(planet: Planet) -> bool:
    """Someone other than the owner opened the landing page, or joined."""
    from planet.engagement.insights.health import landing_seen_by_others

    return planet.member_count > 1 or landing_seen_by_others(planet.id, planet.owner_id)


def steps_of(planet: Planet) -> tuple[Step, ...]:
    settings = url_for("planets.settings", slug=planet.slug)
    endpoints = current_app.view_functions
    new_topic = (
        url_for("content.new_topic", slug=planet.slug) if "content.new_topic" in endpoints else ""
    )
    done = {
        "profile": bool(planet.avatar_path) and bool(planet.description.strip()),
        "pricing": bool(planet.rules.strip()),
        "topic": planet.topic_count > 0,
        "invite": _invited(planet),
        "guest": _has_guest(planet),
    }
    urls = {
        "profile": settings,
        "pricing": settings + "#rules",
        "topic": new_topic,
        "invite": url_for("planets.landing", slug=planet.slug),
        "guest": url_for("members.roster", slug=planet.slug),
    }
    return tuple(Step(key, done[key], urls[key]) for key in STEPS)


def first_hour(planet: Planet) -> Checklist | None:
    """The checklist for the current viewer, or None (not the owner, put away, all done)."""
    if planet.checklist_dismissed_at is not None or planet.is_dissolved:
        return None
    if not policy.may(current_user, Action.EDIT_SETTINGS, planet):
        return None
    steps = steps_of(planet)
    if all(step.done for step in steps):
        return None
    return Checklist(
        steps=steps,
        invite_url=external_url("planets.landing", slug=planet.slug),
        dismiss_url=url_for("planets.dismiss_checklist", slug=planet.slug),
    )


def dismiss(planet: Planet, actor) -> None:
    """Put the checklist away for good (flushes)."""
    policy.require(actor, Action.EDIT_SETTINGS, planet)
    if planet.checklist_dismissed_at is None:
        planet.checklist_dismissed_at = utcnow()
        db.session.flush()
