"""The access policy's named rules, tested on their own (the HTTP access table is elsewhere)."""

from datetime import timedelta

import pytest
from flask_babel import force_locale

from planet.models import utcnow
from planet.planets.models import MembershipStatus, PostingPolicy, Role
from planet.policy import Action, MemberState, decide, may, membership_state


@pytest.fixture
def world(make):
    owner = make.user(name="Owner")
    planet = make.planet(owner)
    people = {"owner": owner}
    for role in (Role.ADMIN, Role.GUEST, Role.MEMBER):
        person = make.user(name=role.value)
        make.member(planet, person, role=role)
        people[role.value] = person
    expired = make.user(name="expired")
    make.member(planet, expired, expires_in=timedelta(seconds=-1))
    banned = make.user(name="banned")
    make.member(planet, banned, status=MembershipStatus.BANNED)
    people.update(expired=expired, banned=banned, outsider=make.user(name="outsider"))
    return planet, people


def test_membership_state_expires_at_the_instant(make, app):
    planet = make.planet()
    membership = make.member(planet, expires_in=timedelta(hours=1))
    at_expiry = membership.expires_at
    assert membership_state(membership, at_expiry - timedelta(seconds=1))[0] is MemberState.ACTIVE
    assert membership_state(membership, at_expiry)[0] is MemberState.EXPIRED


def test_grace_period_keeps_access(make, app):
    planet = make.planet()
    membership = make.member(planet, expires_in=timedelta(hours=-1))
    membership.grace_until = utcnow() + timedelta(days=1)
    state, in_grace = membership_state(membership, utcnow())
    assert state is MemberState.ACTIVE and in_grace


@pytest.mark.parametrize(
    "who,allowed",
    [
        ("owner", True),
        ("admin", True),
        ("guest", True),
        ("member", True),
        ("expired", False),
        ("banned", False),
        ("outsider", False),
    ],
)
def test_read_needs_an_active_membership(world, who, allowed):
    planet, people = world
    assert may(people[who], Action.READ, planet) is allowed


@pytest.mark.parametrize(
    "who,staff_only,members_may",
    [
        ("owner", True, True),
        ("admin", True, True),
        ("guest", True, True),
        ("member", False, True),
        ("expired", False, False),
        ("outsider", False, False),
    ],
)
def test_posting_policy(world, who, staff_only, members_may):
    planet, people = world
    assert may(people[who], Action.POST_TOPIC, planet) is staff_only
    planet.posting_policy = PostingPolicy.MEMBERS
    assert may(people[who], Action.POST_TOPIC, planet) is members_may


def test_hidden_roster_refuses_members_but_not_moderators(world):
    planet, people = world
    planet.roster_visible = False
    assert not may(people["member"], Action.VIEW_ROSTER, planet)
    assert not may(people["guest"], Action.VIEW_ROSTER, planet)
    assert may(people["admin"], Action.VIEW_ROSTER, planet)
    assert may(people["owner"], Action.VIEW_ROSTER, planet)
    reason = decide(people["member"], Action.VIEW_ROSTER, planet).reason
    with force_locale("en"):
        assert "hidden" in str(reason)
    with force_locale("zh"):
        assert "隐藏" in str(reason)


def test_private_message_switch(world):
    from planet.extensions import db
    from planet.planets.models import Membership

    planet, people = world
    target = db.session.query(Membership).filter_by(user_id=people["member"].id).one()
    planet.private_messages_enabled = False
    assert not may(people["guest"], Action.SEND_MESSAGE, planet, target)
    assert may(people["admin"], Action.SEND_MESSAGE, planet, target)
    planet.private_messages_enabled = True
    assert may(people["guest"], Action.SEND_MESSAGE, planet, target)


def test_with_messages_off_a_member_answers_only_staff_who_wrote(world):
    """RepliesToStaff: a Recipient target saying an owner or admin wrote first lets a member
    answer; a guest's message, a member's, or a bare Membership (a new conversation) do not."""
    from planet.extensions import db
    from planet.planets.models import Membership
    from planet.policy import Recipient

    planet, people = world
    planet.private_messages_enabled = False

    def row(who):
        return db.session.query(Membership).filter_by(user_id=people[who].id).one()

    member = people["member"]
    for staff in ("owner", "admin"):
        assert may(member, Action.SEND_MESSAGE, planet, Recipient(row(staff), True))
        assert not may(member, Action.SEND_MESSAGE, planet, Recipient(row(staff), False))
        assert not may(member, Action.SEND_MESSAGE, planet, row(staff))
    assert not may(member, Action.SEND_MESSAGE, planet, Recipient(row("guest"), True))
    assert not may(people["guest"], Action.SEND_MESSAGE, planet, Recipient(row("member"), True))
    assert not may(people["expired"], Action.SEND_MESSAGE, planet, Recipient(row("owner"), True))
    assert not may(member, Action.SEND_MESSAGE, planet, Recipient(row("member"), True))  # self


def test_anonymous_gets_401_reason(world):
    from flask_login import AnonymousUserMixin

    planet, _ = world
    decision = decide(AnonymousUserMixin(), Action.READ, planet)
    assert not decision and decision.status == 401


def test_banned_user_cannot_join_again(world):
    planet, people = world
    assert not may(people["banned"], Action.JOIN, planet)
    assert may(people["outsider"], Action.JOIN, planet)
    assert decide(people["member"], Action.JOIN, planet).status == 409


def test_dissolved_planet_is_read_only(world):
    planet, people = world
    planet.dissolved_at = utcnow()
    assert may(people["member"], Action.READ, planet)
    assert not may(people["owner"], Action.POST_TOPIC, planet)
    assert not may(people["member"], Action.COMMENT, planet)
    assert not may(people["owner"], Action.REMOVE_MEMBER, planet)
    assert not may(people["owner"], Action.BAN_MEMBER, planet)


def test_only_the_addressee_answers(world, make):
    planet, people = world
    question = make.question(planet, people["member"], people["guest"])
    assert may(people["guest"], Action.ANSWER_QUESTION, planet, question)
    assert not may(people["owner"], Action.ANSWER_QUESTION, planet, question)
    # An unanswered question is visible to the asker, the addressee and moderators only.
    other = make.user()
    make.member(planet, other)
    assert not may(other, Action.READ_TOPIC, planet, question)
    assert may(people["admin"], Action.READ_TOPIC, planet, question)


def test_every_action_has_a_rule():
    from planet.policy import RULES

    assert set(RULES) == set(Action)


def test_require_refuses_with_a_service_error_carrying_the_decision(world):
    from flask_login import AnonymousUserMixin

    from planet.errors import Refused, ServiceError
    from planet.policy import require

    planet, people = world
    require(people["member"], Action.READ, planet)  # allowed: nothing raised
    with pytest.raises(Refused) as refused:
        require(people["outsider"], Action.READ, planet)
    decision = decide(people["outsider"], Action.READ, planet)
    assert isinstance(refused.value, ServiceError)
    assert refused.value.status == decision.status == 403
    assert str(refused.value.reason) == str(decision.reason) and refused.value.decision == decision
    with pytest.raises(Refused) as anonymous:
        require(AnonymousUserMixin(), Action.READ, planet)
    assert anonymous.value.status == 401


def test_a_refusal_is_answered_as_json_or_html_in_the_users_language(app, make, client):
    owner = make.user()
    planet = make.planet(owner)
    outsider = make.user(locale="en")
    from tests.conftest import login

    login(client, outsider)
    url = f"/messages/{planet.slug}/{owner.id}"
    html = client.post(url, data={"body": "hi"}, headers={"Accept-Language": "en"})
    assert html.status_code == 403 and "text/html" in html.content_type
    json = client.post(url, data={"body": "hi"}, headers={"Accept": "application/json"})
    assert json.status_code == 403 and json.json["error"] == 403 and json.json["reason"]
    with force_locale("en"):
        reason = str(decide(outsider, Action.SEND_MESSAGE, planet).reason)
    assert reason and reason in html.get_data(as_text=True) and reason == json.json["reason"]


def _items(people) -> list:
    """Topics and comments as the rules read them, by and to each person: live and deleted,
    posts, open and answered questions, paid ones in each state."""
    from types import SimpleNamespace

    items = []
    for author in (*people.values(), None):
        for addressee in (None, *people.values()):
            for shape in (
                {},
                {"deleted_at": utcnow()},
                {"is_question": True, "answered_at": None},
                {"is_question": True, "answered_at": utcnow()},
                {"is_question": True, "answered_at": None, "paid_status": "unpaid"},
                {"is_question": True, "answered_at": None, "paid_status": "waiting"},
            ):
                items.append(
                    SimpleNamespace(
                        author_id=getattr(author, "id", None),
                        addressee_id=getattr(addressee, "id", None),
                        **{
                            "deleted_at": None,
                            "is_question": False,
                            "answered_at": None,
                            "paid_status": None,
                            **shape,
                        },
                    )
                )
    return items


@pytest.mark.parametrize("setting", ["as is", "dissolved", "comments off"])
def test_allowed_each_answers_as_may_for_every_person_and_item(world, make, setting):
    """The page lists' one call per action (what reads only the viewer decided once) against
    the rule asked about each item: the same yes or no, for every standing, setting and item."""
    from flask_login import AnonymousUserMixin

    from planet.policy import RULES, allowed_each

    planet, people = world
    muted = make.user(name="muted")
    make.member(planet, muted).muted_until = utcnow() + timedelta(days=1)
    in_grace = make.user(name="in grace")  # expired, its renewal still being retried
    lapsed = make.member(planet, in_grace, expires_in=timedelta(days=-1))
    lapsed.grace_until = utcnow() + timedelta(days=1)
    on_trial = make.user(name="on trial")
    make.member(planet, on_trial, is_trial=True)
    people = {**people, "muted": muted, "in grace": in_grace, "on trial": on_trial}
    if setting == "dissolved":
        planet.dissolved_at = utcnow()
    if setting == "comments off":
        planet.comments_enabled = False
    items = _items(people)
    viewers = {**people, "anonymous": AnonymousUserMixin()}
    for who, viewer in viewers.items():
        for action in (Action.READ_TOPIC, Action.COMMENT, Action.LIKE, Action.REPORT,
                       Action.EDIT_CONTENT, Action.DELETE_CONTENT):  # fmt: skip
            expected = [may(viewer, action, planet, item) for item in items]
            assert allowed_each(viewer, action, planet, items) == expected, (who, action)
            if who in ("member", "in grace", "on trial") and setting == "as is":
                assert set(expected) == {True, False}, (who, action)  # the items decide
        for action in RULES:  # and every rule without a target
            assert allowed_each(viewer, action, planet, [None]) == [may(viewer, action, planet)]
