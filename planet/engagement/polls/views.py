"""Polls and lotteries: creating, voting, drawing and the results.

Thin: load (lookup), check access (policy), call a service, render.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from planet.accounts.models import User
from planet.engagement.clock import to_utc
from planet.engagement.common import (
    Action,
    ActionForm,
    after_cursor,
    bp,
    form_page,
    load_item,
    load_planet,
    next_cursor,
    render,
    show_created,
)
from planet.engagement.polls import services
from planet.engagement.polls.forms import LotteryForm, PollForm
from planet.engagement.polls.models import Lottery, LotteryEligibility, Poll, ResultsVisibility
from planet.errors import Refused, ServiceError
from planet.extensions import db
from planet.models import utcnow
from planet.web.forms import db_id


@bp.route("/polls", endpoint="polls")
def polls_list(slug):
    planet = load_planet(slug, Action.READ)
    rows, cursor = services.list_polls(planet, after=after_cursor())
    return render(
        "polls/polls.html",
        planet,
        rows=rows,
        next_cursor=next_cursor(cursor),
        lotteries=services.list_lotteries(planet),
        now=utcnow(),
        active_tab="engagement.polls",
    )


@bp.route("/polls/new", methods=["GET", "POST"])
def new_poll(slug):
    planet = load_planet(slug, Action.CREATE_POLL)
    form = PollForm()

    def save():
        return services.create_poll(
            planet,
            current_user,
            form.question.data,
            (form.options.data or "").splitlines(),
            multiple=form.multiple.data,
            closes_at=to_utc(planet, form.closes_date.data, form.closes_time.data),
            results=ResultsVisibility(form.results.data),
        )

    opened = _("The poll is open. Members can vote now.")
    done = show_created(planet, "engagement.poll", "pid", opened)

    return form_page(
        form, save, done, "polls/poll_form.html", planet, active_tab="engagement.polls"
    )


@bp.route("/polls/<int:pid>")
def poll(slug, pid):
    planet, item = load_item(slug, Action.READ, Poll, pid)
    return _poll_page(planet, item)


def _poll_page(planet, item, status: int = 200, error=None, chosen=()):
    """The poll; after a refused vote, the reason above the options and the choices kept."""
    now = utcnow()
    ballot = services.ballot_of(item, current_user.id)
    return render(
        "polls/poll.html",
        planet,
        status,
        poll=item,
        ballot=ballot,
        now=now,
        show_results=services.results_visible(item, ballot is not None, now),
        form=ActionForm(),
        error=error,
        chosen=set(chosen),
        active_tab="engagement.polls",
    )


@bp.route("/polls/<int:pid>/vote", methods=["POST"])
def vote(slug, pid):
    planet, item = load_item(slug, Action.VOTE, Poll, pid)
    try:
        option_ids = [db_id(v) for v in request.form.getlist("option")]
    except ValueError:
        abort(400, description=_("That option is not part of this poll."))
    try:
        services.vote(planet, item, current_user, option_ids)
    except Refused:
        raise
    except ServiceError as error:
        return _poll_page(planet, item, error.status, str(error.reason), option_ids)
    flash(_("Thanks for voting."), "success")
    return redirect(url_for("engagement.poll", slug=planet.slug, pid=item.id))


@bp.route("/lotteries/new", methods=["GET", "POST"])
def new_lottery(slug):
    planet = load_planet(slug, Action.RUN_LOTTERY)
    form = LotteryForm()

    def save():
        return services.create_lottery(
            planet,
            current_user,
            form.title.data,
            form.prize.data or "",
            LotteryEligibility(form.eligibility.data),
            form.winner_count.data,
        )

    created = _("The lottery is created. Draw it when you are ready.")
    done = show_created(planet, "engagement.lottery", "lid", created)

    template = "polls/lottery_form.html"
    return form_page(form, save, done, template, planet, active_tab="engagement.polls")


@bp.route("/lotteries/<int:lid>")
def lottery(slug, lid):
    planet, item = load_item(slug, Action.READ, Lottery, lid)
    return _lottery_page(planet, item)


def _lottery_page(planet, item, status: int = 200, error=None):
    winners = []
    if item.winners:
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(item.winners)))}
        winners = [users.get(uid) for uid in item.winners]
    return render(
        "polls/lottery.html",
        planet,
        status,
        lottery=item,
        winners=winners,
        error=error,
        form=ActionForm(),
        active_tab="engagement.polls",
    )


@bp.route("/lotteries/<int:lid>/draw", methods=["POST"])
def draw(slug, lid):
    planet, item = load_item(slug, Action.RUN_LOTTERY, Lottery, lid)
    try:
        services.draw_lottery(planet, item, current_user)
    except Refused:
        raise
    except ServiceError as error:  # nobody eligible yet, drawn already: the page says why
        return _lottery_page(planet, item, error.status, str(error.reason))
    count = len(item.winners)
    flash(
        ngettext(
            "The lottery is drawn: %(num)d winner, listed below.",
            "The lottery is drawn: %(num)d winners, listed below.",
            count,
        ),
        "success",
    )
    return redirect(url_for("engagement.lottery", slug=planet.slug, lid=item.id))
