"""Join, leave, remove and ban through the routes; the roster for each standing."""

import pytest
from sqlalchemy import select

from planet.extensions import db
from planet.planets.models import Membership, MembershipStatus, Planet
from tests.conftest import queries_by_page_size
from tests.planet.planets.helpers import build_world


@pytest.fixture
def world(make):
    return build_world(make)


def _membership(planet, user):
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.planet_id == planet.id, Membership.user_id == user.id)
    )


def _count(planet) -> int:
    db.session.expire_all()
    return db.session.get(Planet, planet.id).member_count


def test_join_and_leave_a_free_planet(client, login_as, world):
    before = _count(world.planet)
    login_as(world.outsider)
    response = client.post("/p/home-planet/join")
    assert response.status_code == 302
    assert _membership(world.planet, world.outsider).status is MembershipStatus.ACTIVE
    assert _count(world.planet) == before + 1
    assert client.post("/p/home-planet/join").status_code == 409
    assert client.post("/p/home-planet/leave").status_code == 302
    assert _membership(world.planet, world.outsider).status is MembershipStatus.LEFT
    assert _count(world.planet) == before


def test_rules_must_be_accepted(client, login_as, world):
    world.planet.rules = "Be kind."
    db.session.commit()
    login_as(world.outsider)
    landing = client.get("/p/home-planet/about").get_data(as_text=True)
    assert "Be kind." in landing and 'name="accept_rules"' in landing
    refused = client.post("/p/home-planet/join")
    assert refused.status_code == 400
    assert "accept" in refused.get_data(as_text=True)
    assert _membership(world.planet, world.outsider) is None
    assert client.post("/p/home-planet/join", data={"accept_rules": "y"}).status_code == 302
    assert _membership(world.planet, world.outsider).rules_accepted_at is not None


def test_paid_planet_cannot_be_joined_for_free(client, login_as, world):
    world.planet.price_amount = 19900
    db.session.commit()
    login_as(world.outsider)
    assert client.post("/p/home-planet/join").status_code == 402
    assert _membership(world.planet, world.outsider) is None


def test_anonymous_join_needs_sign_in(client, world):
    assert client.post("/p/home-planet/join").status_code == 401


def test_owner_cannot_leave(client, login_as, world):
    login_as(world.owner)
    assert client.post("/p/home-planet/leave").status_code == 400


def test_removed_member_can_rejoin(client, login_as, world):
    target = world.memberships["member"]
    login_as(world.admin)
    assert client.post(f"/p/home-planet/members/{target.id}/remove").status_code == 302
    assert _membership(world.planet, world.member).status is MembershipStatus.REMOVED
    login_as(world.member)
    assert client.get("/p/home-planet/members").status_code == 403
    assert client.post("/p/home-planet/join").status_code == 302
    assert _membership(world.planet, world.member).status is MembershipStatus.ACTIVE


def test_banned_member_cannot_rejoin(client, login_as, world):
    target = world.memberships["member"]
    login_as(world.owner)
    assert client.post(f"/p/home-planet/members/{target.id}/ban").status_code == 302
    login_as(world.member)
    response = client.post("/p/home-planet/join")
    assert response.status_code == 403
    assert "banned" in response.get_data(as_text=True)
    assert _membership(world.planet, world.member).status is MembershipStatus.BANNED
    landing = client.get("/p/home-planet/about").get_data(as_text=True)
    assert "banned" in landing and 'action="/p/home-planet/join"' not in landing


@pytest.mark.parametrize(
    "actor,target,action,status",
    [
        ("admin", "member", "ban", 403),  # only the owner bans
        ("admin", "admin", "remove", 400),  # not yourself
        ("guest", "member", "remove", 403),
        ("member", "guest", "remove", 403),
        ("outsider", "member", "remove", 403),
        ("expired", "member", "remove", 403),
        ("owner", "owner", "remove", 400),
    ],
)
def test_member_actions_refused(client, login_as, world, actor, target, action, status):
    login_as(getattr(world, actor))
    if target == "owner":
        membership = _membership(world.planet, world.owner)
    else:
        membership = world.memberships[target]
    response = client.post(f"/p/home-planet/members/{membership.id}/{action}")
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).status is MembershipStatus.ACTIVE


def test_admin_cannot_remove_another_admin(client, login_as, world, make):
    second = make.member(world.planet, role=world.memberships["admin"].role)
    login_as(world.admin)
    assert client.post(f"/p/home-planet/members/{second.id}/remove").status_code == 403


def test_remove_member_of_another_planet_is_404(client, login_as, world, make):
    stranger = make.member(world.other)
    login_as(world.owner)
    assert client.post(f"/p/home-planet/members/{stranger.id}/remove").status_code == 404


# ---------------------------------------------------------------- roster


@pytest.mark.parametrize(
    "who,visible,hidden",
    [
        ("owner", 200, 200),
        ("admin", 200, 200),
        ("guest", 200, 403),
        ("member", 200, 403),
        ("expired", 403, 403),
        ("banned", 403, 403),
        ("outsider", 403, 403),
        ("other_owner", 403, 403),
    ],
)
def test_roster_switch_for_each_role(client, login_as, world, who, visible, hidden):
    login_as(getattr(world, who))
    assert client.get("/p/home-planet/members").status_code == visible
    world.planet.roster_visible = False
    db.session.commit()
    response = client.get("/p/home-planet/members")
    assert response.status_code == hidden
    if hidden == 403 and who in ("guest", "member"):
        assert "hidden the member list" in response.get_data(as_text=True)


def test_roster_anonymous(client, world):
    assert client.get("/p/home-planet/members").status_code == 401


def test_roster_shows_roles_dates_and_only_allowed_buttons(client, login_as, world):
    login_as(world.member)
    html = client.get("/p/home-planet/members").get_data(as_text=True)
    for name in ("Owner", "Admin", "Guest", "Member"):
        assert name in html
    assert "Expired" not in html and "Banned" not in html
    assert "Joined " in html
    assert "/remove" not in html and "/ban" not in html and "/role" not in html
    assert f"/messages/home-planet/{world.owner.id}" in html

    login_as(world.admin)
    html = client.get("/p/home-planet/members").get_data(as_text=True)
    assert f"/members/{world.memberships['member'].id}/remove" in html
    assert f"/members/{world.memberships['admin'].id}/remove" not in html
    assert "/ban" not in html and "/role" not in html

    login_as(world.owner)
    html = client.get("/p/home-planet/members").get_data(as_text=True)
    assert f"/members/{world.memberships['member'].id}/ban" in html
    assert f"/members/{world.memberships['admin'].id}/role" in html


def test_roster_pages_with_constant_queries(client, login_as, make, app):
    owner = make.user()
    planet = make.planet(owner, slug="big-planet")
    for _ in range(30):
        make.member(planet)
    login_as(owner)
    counts = queries_by_page_size(app, client, "/p/big-planet/members", (5, 25))
    seen = []
    assert counts[5] == counts[25], counts
    # Walk every page with the cursor: each member exactly once.
    app.config["PAGE_SIZE"] = 7
    url = "/p/big-planet/members"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += [int(part.split("/")[0]) for part in html.split("/p/big-planet/members/")[1:]
                 if part.split("/")[1].startswith("remove")]  # fmt: skip
        marker = 'href="/p/big-planet/members?after='
        url = None
        if marker in html:
            url = "/p/big-planet/members?after=" + html.split(marker)[1].split('"')[0]
    assert len(seen) == len(set(seen)) == 30


def test_bad_cursor_is_400(client, login_as, world):
    login_as(world.owner)
    assert client.get("/p/home-planet/members?after=abc").status_code == 400
    assert client.get("/p/home-planet/members?after=1.2").status_code == 400
