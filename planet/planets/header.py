"""The planet header shown on every page inside a planet: name, counts and the tabs.

The tabs are the policy's answers for this viewer (one decision per tab, every request), with
what waits for the viewer on theirs (planet/planets/inbox.py: questions, reports, homework); the
HTML is a cached fragment keyed by the header's data and those answers
(planet/web/fragments.py), so a page pays no URL building or translation for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_login import current_user
from markupsafe import Markup

from planet import policy
from planet.planets import inbox
from planet.planets.models import Planet
from planet.policy import Action
from planet.web import shortcache
from planet.web.fragments import render_fragment
from planet.web.links import planet_links

# In display order; a tab shows when its endpoint exists and the policy allows its action.
TABS = (
    ("content.timeline", Action.READ),
    ("content.questions", Action.READ),
    ("content.columns", Action.VIEW_COLUMN),
    ("content.files", Action.VIEW_FILES),
    ("members.roster", Action.VIEW_ROSTER),
    ("engagement.directory", Action.VIEW_DIRECTORY),
    ("engagement.challenges", Action.READ),
    ("engagement.homework", Action.READ),
    ("engagement.events", Action.READ),
    ("engagement.polls", Action.READ),
    ("engagement.leaderboard", Action.READ),
    ("content.reports", Action.MODERATE),
    ("moderation.queue", Action.MODERATE),
    ("moderation.audit", Action.VIEW_AUDIT),
    ("payments.income", Action.VIEW_INCOME),
    ("payments.win_back_page", Action.VIEW_WIN_BACK),
    ("payments.segments", Action.VIEW_SEGMENTS),
    ("payments.weekly_report_page", Action.VIEW_INCOME),
    ("engagement.health", Action.VIEW_HEALTH),
    ("exports.planet_export", Action.EXPORT_PLANET),
    ("planets.settings", Action.EDIT_SETTINGS),
    ("content.leak_lookup", Action.TRACE_LEAK),
    ("members.import_members", Action.IMPORT_MEMBERS),
    ("members.applications", Action.REVIEW_APPLICATIONS),
    ("members.comp_seats", Action.GRANT_COMP_SEAT),
)


@dataclass(frozen=True, slots=True)
class PlanetHeader:
    name: str
    landing_url: str
    avatar_url: str | None
    owner_name: str
    member_count: int
    topic_count: int
    dissolved: bool


def _allowed_tabs(planet: Planet, standing, user, endpoints) -> tuple[str, ...]:
    return tuple(
        endpoint
        for endpoint, action in TABS
        if endpoint in endpoints and policy.decide_with_standing(standing, user, action, planet)
    )


def allowed_tabs(planet: Planet, standing, user, endpoints) -> tuple[str, ...]:
    """The tabs this viewer may open: the same for every viewer of one standing class in one
    version of the planet (its settings are on its row), so kept per process under both."""
    return shortcache.cached(
        "planet_tabs",
        planet.id,
        lambda: _allowed_tabs(planet, standing, user, endpoints),
        planet.content_version,
        policy.standing_class(user, planet),
    )


def planet_header(planet: Planet, active_tab: str | None = None) -> Markup:
    links = planet_links(planet)
    endpoints = current_app.view_functions
    user = current_user._get_current_object()
    standing = policy.standing_of(user, planet)
    waiting = inbox.waiting_counts(planet, user, standing, endpoints)
    tabs = tuple(
        (
            endpoint,
            links.page(endpoint),
            inbox.shown(waiting[endpoint]) if endpoint in waiting else "",
        )
        for endpoint in allowed_tabs(planet, standing, user, endpoints)
    )
    header = PlanetHeader(
        name=planet.name,
        landing_url=links.page("planets.landing") if "planets.landing" in endpoints else "#",
        avatar_url=(
            links.page("planets.avatar")
            if planet.avatar_path and "planets.avatar" in endpoints
            else None
        ),
        owner_name=planet.owner.display_name,
        member_count=planet.member_count,
        topic_count=planet.topic_count,
        dissolved=planet.is_dissolved,
    )
    return render_fragment(
        "planets/_header_card.html",
        "planet_header",
        header,
        tabs,
        active_tab,
        _member_links(standing, user, planet, endpoints, links),
    )


def _member_links(standing, user, planet: Planet, endpoints, links) -> tuple[tuple[str, str], ...]:
    """A member's own pages, for someone with a membership here they could renew (not the
    owner): their membership (receipts, renewal, refund, referral link) and their earnings."""
    if "payments.my_memberships" not in endpoints or not policy.decide_with_standing(
        standing, user, Action.RENEW, planet
    ):
        return ()
    return (
        ("membership", links.site_page("payments.my_memberships", f"planet-{planet.slug}")),
        ("earnings", links.site_page("payments.earnings")),
    )
