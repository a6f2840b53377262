"""Planet pages: create, settings, dissolve, landing page, avatar and "my planets"."""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from planet import policy
from planet.content.columns.queries import landing_columns
from planet.content.models import Topic
from planet.content.services import paid_questions
from planet.extensions import db
from planet.members import referrals
from planet.models import utcnow
from planet.planets import first_hour, services
from planet.planets.forms import CATEGORY_LABELS, CreatePlanetForm, DissolveForm, SettingsForm
from planet.planets.header import planet_header
from planet.planets.lookup import planet_or_404
from planet.planets.models import Membership, MembershipStatus, Planet
from planet.storage import storage
from planet.text import plain_excerpt, render_markdown
from planet.web import anoncache, pagecache
from planet.web.cursors import decode_int_cursor
from planet.web.forms import apply_service_error
from planet.web.redirects import redirect_back

bp = Blueprint("planets", __name__)


@bp.app_template_filter("price")
def _price_filter(planet_or_amount, currency=None):
    if isinstance(planet_or_amount, Planet):
        return services.format_price(planet_or_amount.price_amount, planet_or_amount.currency)
    return services.format_price(planet_or_amount, currency)


@bp.app_context_processor
def _planet_helpers():
    return {"category_label": lambda key: CATEGORY_LABELS.get(key, "")}


bp.add_app_template_global(planet_header)
pagecache.register_hole(
    "header",
    lambda values, arg: planet_header(values["planet"], arg or None),
    same_on_every_page=True,  # its tabs, counts and links, the active tab being its `arg`
)
bp.add_app_template_global(first_hour.first_hour)


def _avatar_key(form) -> str | None:
    upload = form.avatar.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return services.save_avatar(upload.stream)


@bp.route("/planets/new", methods=["GET", "POST"])
@login_required
def create():
    form = CreatePlanetForm()
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate():
            slug = form.slug.data.strip()
            if services.slug_taken(slug):
                form.slug.errors.append(_("This address is already taken. Please choose another."))
                status = 409
            else:
                try:
                    avatar = _avatar_key(form)
                    planet = services.create_planet(
                        current_user, slug, form.to_settings(), avatar_path=avatar
                    )
                except services.InvalidInput as error:
                    status = apply_service_error(form, error)
                else:
                    flash(_("Your planet is ready."), "success")
                    return redirect(url_for("planets.landing", slug=planet.slug))
    return render_template("planets/create.html", form=form), status


@bp.route("/p/<slug>/settings", methods=["GET", "POST"])
def settings(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.EDIT_SETTINGS, planet)
    form = SettingsForm()
    status = 200
    if request.method == "GET":
        form.fill_from(planet)
    else:
        status = 400
        if form.validate():
            try:
                avatar = _avatar_key(form)
                services.update_planet(planet, current_user, form.to_settings(), avatar)
            except services.InvalidInput as error:
                status = apply_service_error(form, error)
            else:
                flash(_("Settings saved."), "success")
                return redirect(url_for("planets.settings", slug=planet.slug))
    return (
        render_template(
            "planets/settings.html",
            planet=planet,
            form=form,
            dissolve_form=DissolveForm(formdata=None),
            active_tab="planets.settings",
        ),
        status,
    )


@bp.post("/p/<slug>/dissolve")
def dissolve(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.DISSOLVE, planet)
    form = DissolveForm()
    if not form.validate() or form.confirm.data.strip() != planet.slug:
        form.confirm.errors = [_("Type the planet's address exactly to confirm.")]
        return (
            render_template(
                "planets/settings.html",
                planet=planet,
                form=_filled_settings_form(planet),
                dissolve_form=form,
                active_tab="planets.settings",
            ),
            400,
        )
    services.dissolve_planet(planet, current_user)
    flash(_("The planet was dissolved. Members will be told by email."), "success")
    return redirect(url_for("planets.landing", slug=planet.slug))


@bp.post("/p/<slug>/checklist/dismiss")
@login_required
def dismiss_checklist(slug):
    planet = planet_or_404(slug)
    first_hour.dismiss(planet, current_user)
    flash(_("The checklist is put away."), "success")
    return redirect_back(url_for("content.timeline", slug=planet.slug))


def _filled_settings_form(planet):
    form = SettingsForm(formdata=None)
    form.fill_from(planet)
    return form


def _count_landing_view(planet, ref: str | None) -> None:
    """Feed the owner's join funnel (outside the page's read-only transaction). Only a
    genuine referral code counts the view as a referral."""
    from planet.engagement.insights import activity, health, landing_views

    user_id = current_user.id if current_user.is_authenticated else None
    source = health.funnel_source(ref, request.referrer)
    activity.remember_join_source(planet.id, source)
    landing_views.count_landing_view(
        planet,
        source,
        health.visitor_key(user_id, request.remote_addr, request.user_agent.string),
    )


@dataclass(frozen=True)
class _CachedPlanet:
    """What counting a view needs of the planet of a landing served from the cache."""

    id: int
    timezone: str


def _count_cached_landing_view(saved: dict, visitor) -> None:
    """A direct visit by someone signed out, served from the visitors' cache (maybe before
    Flask, with only `visitor`, the request), is counted like any other. A direct source is
    not remembered in the session (`activity.remember_join_source`), so nothing else is due."""
    from planet.engagement.insights import health, landing_views

    landing_views.count_landing_view(
        _CachedPlanet(saved["planet_id"], saved["timezone"]),
        health.FunnelSource.DIRECT,
        health.visitor_key(None, visitor.remote_addr, visitor.user_agent.string),
    )
    if not has_request_context():  # answered before Flask: no request end to write it at
        landing_views.flush_buffered_views(db.engine)


def _direct_visit(visitor) -> bool:
    """A visit by a referral link or from discover is remembered in the visitor's session
    (for its checkout), so it is rendered for that visitor, never from the cache."""
    from planet.engagement.insights import health

    return not visitor.args.get("ref") and (
        health.funnel_source(None, visitor.referrer) is health.FunnelSource.DIRECT
    )


@bp.get("/p/<slug>/about")
def landing(slug):
    """The planet's public page. Visitors without a session share a copy kept for a short
    time (planet/web/anoncache.py); their views are counted on every request, hits included."""
    return anoncache.serve(
        lambda: _render_landing(slug),
        on_hit=_count_cached_landing_view,
        shared_when=_direct_visit,
    )


def _render_landing(slug):
    planet = planet_or_404(slug, with_tags=True)
    policy.require(current_user, policy.Action.VIEW_LANDING, planet)
    anoncache.remember(planet_id=planet.id, timezone=planet.timezone)
    standing = policy.standing_of(current_user, planet)
    # A member's share link: the signed code goes on to the Join link (and this session);
    # an edited one is ignored.
    ref = referrals.valid_code(planet.id, request.args.get("ref"))
    referrals.remember(planet.id, ref)
    _count_landing_view(planet, ref)
    previews = []
    if planet.preview_essence_count > 0:
        previews = db.session.scalars(
            select(Topic)
            .where(
                Topic.planet_id == planet.id,
                Topic.is_essence.is_(True),
                Topic.in_feed.is_(True),
                Topic.deleted_at.is_(None),
            )
            .order_by(Topic.feed_at.desc(), Topic.id.desc())
            .limit(planet.preview_essence_count)
        ).all()
    preview_items = [
        {
            "title": topic.title or plain_excerpt(topic.body, 40),
            "excerpt": plain_excerpt(topic.body),
        }
        for topic in previews
    ]
    return render_template(
        "planets/landing.html",
        planet=planet,
        standing=standing,
        previews=preview_items,
        columns=landing_columns(planet),
        description_html=render_markdown(planet.description),
        rules_html=render_markdown(planet.rules),
        meta_description=planet.excerpt,
        ref=ref,
        visitor_offers=paid_questions.visitor_offers(planet),
        own_questions=paid_questions.own_paid_questions(planet, getattr(current_user, "id", None)),
    )


@bp.get("/p/<slug>/avatar")
def avatar(slug):
    planet = planet_or_404(slug)
    key = services.avatar_storage_key(planet)
    response = storage().send(key, "image/png", max_age=3600) if key else None
    if response is None:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/me/planets")
@login_required
def mine():
    page_size = current_app.config["PAGE_SIZE"]
    after = decode_int_cursor(request.args.get("after"))
    statement = (
        select(Membership)
        .join(Membership.planet)
        .options(contains_eager(Membership.planet).joinedload(Planet.owner))
        .where(
            Membership.user_id == current_user.id,
            Membership.status.in_([MembershipStatus.ACTIVE, MembershipStatus.EXPIRED]),
        )
        .order_by(Membership.id.desc())
        .limit(page_size + 1)
    )
    if after is not None:
        statement = statement.where(Membership.id < after)
    memberships = db.session.scalars(statement).unique().all()
    next_cursor = memberships[page_size - 1].id if len(memberships) > page_size else None
    memberships = memberships[:page_size]
    policy.prime_standings(current_user, memberships)
    rows = [(m, policy.standing_of(current_user, m.planet)) for m in memberships]
    return render_template("planets/mine.html", rows=rows, next_cursor=next_cursor, now=utcnow())
