"""Member pages: join a free planet (or come back within the paid term), leave, the roster,
remove, ban and roles. The page that confirms leaving shows what is lost and the refund still
possible: it needs payment data, so it is payments' (payments/views/member.py:leave_confirm)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from planet import policy
from planet.errors import Conflict, ServiceError
from planet.extensions import db
from planet.members import comp, entitlement, screening, services
from planet.members.forms import ActionForm, JoinForm, RoleForm
from planet.members.poster import render_poster
from planet.models import utcnow
from planet.moderation import services as moderation
from planet.planets.lookup import in_planet_or_404, planet_or_404
from planet.planets.models import Membership, Role
from planet.text import render_markdown
from planet.web.cursors import decode_int_cursor
from planet.web.forms import apply_service_error

bp = Blueprint("members", __name__)


def _after_join_url(planet) -> str:
    if "content.timeline" in current_app.view_functions:
        return url_for("content.timeline", slug=planet.slug)
    return url_for("planets.landing", slug=planet.slug)


def _valid_post(form) -> None:
    if not form.validate():
        abort(400)


@bp.app_template_global("planet_rules_html")
def planet_rules_html(planet) -> str:
    """The planet's rules as sanitized HTML (templates/members/_rules.html)."""
    return render_markdown(planet.rules or "")


@bp.app_template_global("seat_counts")
def seat_counts(planet) -> dict[str, int]:
    """Active members by seat: paid here, imported, complimentary, gifts (members/comp.py)."""
    return comp.seat_counts(planet)


@bp.app_template_global("paid_term_left")
def paid_term_left(membership):
    """Until when a member who left may come back without paying (entitlement), or None."""
    return entitlement.paid_term_left(membership, utcnow())


@bp.route("/p/<slug>/join", methods=["GET", "POST"])
def join(slug):
    """Join without paying: a free planet, or a paid one left within the paid term. The page
    shows the rules and the box to accept them; a join without it is refused beside the box."""
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.JOIN, planet)
    if (
        screening.screens(planet)
        and paid_term_left(policy.standing_of(current_user, planet).membership) is None
    ):
        return redirect(url_for("members.apply", slug=slug))
    form = JoinForm()
    status = 200
    if request.method == "POST":
        _valid_post(form)
        try:
            services.join_free_planet(planet, current_user, rules_accepted=form.accept_rules.data)
        except services.RulesNotAccepted as error:
            status = apply_service_error(form, error)
        else:
            flash(_("Welcome to %(name)s!", name=planet.name), "success")
            return redirect(_after_join_url(planet))
    until = paid_term_left(policy.standing_of(current_user, planet).membership)
    if until is None and not planet.is_free:
        if "payments.checkout" in current_app.view_functions:
            return redirect(url_for("payments.checkout", slug=planet.slug))
        raise Conflict(_l("This planet is paid: join it through checkout."), 402)
    return render_template("members/join.html", planet=planet, form=form, until=until), status


@bp.post("/p/<slug>/leave")
def leave(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.LEAVE, planet)
    _valid_post(ActionForm())
    services.leave_planet(planet, current_user)
    flash(_("You left %(name)s.", name=planet.name), "success")
    return redirect(url_for("planets.landing", slug=planet.slug))


@bp.get("/p/<slug>/members")
def roster(slug):
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.VIEW_ROSTER, planet)
    page_size = current_app.config["PAGE_SIZE"]
    after = decode_int_cursor(request.args.get("after"))
    statement = (
        select(Membership)
        .options(joinedload(Membership.user))
        .where(
            Membership.planet_id == planet.id,
            Membership.active_at(utcnow()),
        )
        .order_by(Membership.id)
        .limit(page_size + 1)
    )
    if after is not None:
        statement = statement.where(Membership.id > after)
    members = db.session.scalars(statement).all()
    next_cursor = members[page_size - 1].id if len(members) > page_size else None
    return render_template(
        "members/roster.html",
        planet=planet,
        members=members[:page_size],
        next_cursor=next_cursor,
        role_form=RoleForm(formdata=None),
        active_tab="members.roster",
        now=utcnow(),
    )


def _member_action(slug, membership_id: int, action, form) -> tuple:
    """The shared start of the roster actions, in order: the planet (404), the policy (403),
    the posted form (400), then the membership in that planet (404)."""
    planet = planet_or_404(slug)
    policy.require(current_user, action, planet)
    _valid_post(form)
    membership = in_planet_or_404(Membership, membership_id, planet)
    return planet, membership


def _back_to_roster(planet, message: str):
    flash(message, "success")
    return redirect(url_for("members.roster", slug=planet.slug))


@bp.post("/p/<slug>/members/<int:membership_id>/remove")
def remove(slug, membership_id):
    planet, membership = _member_action(
        slug, membership_id, policy.Action.REMOVE_MEMBER, ActionForm()
    )
    services.remove_member(planet, current_user, membership)
    return _back_to_roster(planet, _("The member was removed."))


@bp.post("/p/<slug>/members/<int:membership_id>/ban")
def ban(slug, membership_id):
    planet, membership = _member_action(slug, membership_id, policy.Action.BAN_MEMBER, ActionForm())
    services.ban_member(planet, current_user, membership)
    moderation.record(planet, current_user, "banned", f"member:{membership.user_id}")
    if request.form.get("hide") == "1":
        moderation.hide_all_of(planet, current_user, membership.user_id)
        return _back_to_roster(
            planet, _("The member was banned; everything they wrote here is being hidden.")
        )
    return _back_to_roster(planet, _("The member was banned and cannot rejoin."))


@bp.post("/p/<slug>/members/<int:membership_id>/mute")
def mute(slug, membership_id):
    planet, membership = _member_action(
        slug, membership_id, policy.Action.MUTE_MEMBER, ActionForm()
    )
    if request.form.get("unmute") == "1":
        moderation.unmute(planet, current_user, membership)
        return _back_to_roster(planet, _("The member can write again."))
    try:
        days = int(request.form.get("days", ""))
    except ValueError:
        days = 0
    try:
        moderation.mute(planet, current_user, membership, days)
    except ServiceError as error:
        abort(error.status, description=str(error.reason))
    return _back_to_roster(planet, _("The member is muted for %(n)s days.", n=days))


@bp.post("/p/<slug>/members/<int:membership_id>/role")
def set_role(slug, membership_id):
    form = RoleForm()
    planet, membership = _member_action(slug, membership_id, policy.Action.MANAGE_ROLES, form)
    services.set_role(planet, current_user, membership, Role(form.role.data))
    return _back_to_roster(planet, _("The role was changed."))


from planet.members import import_views, screening_views  # noqa: E402, F401 - routes on this bp


@bp.get("/p/<slug>/poster.png")
@login_required
def poster(slug):
    """The member's invitation poster (邀请海报) with their referral link as a QR code."""
    planet = planet_or_404(slug)
    policy.require(current_user, policy.Action.READ, planet)
    image = render_poster(planet, current_user.display_name, current_user.id)
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=600"
    response.headers["Content-Disposition"] = f'inline; filename="{planet.slug}-invite.png"'
    return response
