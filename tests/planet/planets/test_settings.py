"""Settings, roles and dissolving: only the owner, never another planet's owner."""

import pytest
from sqlalchemy import select

from planet import jobs
from planet.extensions import db
from planet.planets.models import Membership, Planet, PostingPolicy, Role
from tests.planet.planets.helpers import build_world
from tests.planet.planets.test_create import _form


@pytest.fixture
def world(make):
    return build_world(make)


def _settings(**overrides):
    data = _form(**overrides)
    data.pop("slug")
    return data


def test_owner_changes_every_setting(client, login_as, world):
    login_as(world.owner)
    page = client.get("/p/home-planet/settings")
    assert page.status_code == 200
    assert 'value="Home"' in page.get_data(as_text=True)
    data = _settings(
        name="Home 2",
        price="99.99",
        currency="usd",
        posting_policy="members",
        preview_essence_count="5",
        rules="No spam.",
        tags="ai, 写作",
        anonymous_questions="y",
        public_directory="y",
    )
    for off in ("questions_enabled", "comments_enabled", "private_messages_enabled",
                "roster_visible", "is_listed"):  # fmt: skip
        data.pop(off)
    response = client.post("/p/home-planet/settings", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    planet = db.session.get(Planet, world.planet.id)
    assert planet.name == "Home 2"
    assert (planet.price_amount, planet.currency) == (9999, "usd")
    assert planet.posting_policy is PostingPolicy.MEMBERS
    assert planet.preview_essence_count == 5 and planet.rules == "No spam."
    assert not planet.questions_enabled and not planet.comments_enabled
    assert not planet.private_messages_enabled and not planet.roster_visible
    assert not planet.is_listed and planet.anonymous_questions and planet.public_directory
    assert sorted(tag.name for tag in planet.tags) == ["ai", "写作"]


def test_bad_settings_change_nothing(client, login_as, world):
    login_as(world.owner)
    response = client.post("/p/home-planet/settings", data=_settings(name="New", price="-5"))
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Planet, world.planet.id).name == "Home"


@pytest.mark.parametrize("who", ["admin", "guest", "member", "outsider", "expired", "other_owner"])
def test_settings_refused_to_everyone_but_the_owner(client, login_as, world, who):
    login_as(getattr(world, who))
    assert client.get("/p/home-planet/settings").status_code == 403
    response = client.post("/p/home-planet/settings", data=_settings(name="Hijacked"))
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Planet, world.planet.id).name == "Home"


def test_anonymous_settings_needs_sign_in(client, world):
    assert client.get("/p/home-planet/settings").status_code == 403


def test_owner_of_a_gets_403_on_every_changing_or_revealing_route_of_b(client, login_as, world):
    """ASVS: an owner of planet A gets 403 on every route of planet B that changes/reveals it."""
    world.planet.roster_visible = False
    db.session.commit()
    login_as(world.other_owner)
    member_id = world.memberships["member"].id
    checks = [
        ("GET", "/p/home-planet/settings", None),
        ("POST", "/p/home-planet/settings", _settings(name="x")),
        ("POST", "/p/home-planet/dissolve", {"confirm": "home-planet"}),
        ("GET", "/p/home-planet/members", None),
        ("POST", f"/p/home-planet/members/{member_id}/remove", {}),
        ("POST", f"/p/home-planet/members/{member_id}/ban", {}),
        ("POST", f"/p/home-planet/members/{member_id}/role", {"role": "admin"}),
        ("POST", "/p/home-planet/leave", {}),
        ("GET", f"/messages/home-planet/{world.member.id}", None),
        ("POST", f"/messages/home-planet/{world.member.id}", {"body": "hi"}),
    ]
    for method, path, data in checks:
        response = client.open(path, method=method, data=data)
        assert response.status_code == 403, (method, path, response.status_code)
    db.session.expire_all()
    planet = db.session.get(Planet, world.planet.id)
    assert planet.dissolved_at is None and planet.name == "Home"
    assert db.session.get(Membership, member_id).role is Role.MEMBER


def test_owner_names_and_revokes_admins_and_guests(client, login_as, world):
    login_as(world.owner)
    target = world.memberships["member"]
    assert client.post(f"/p/home-planet/members/{target.id}/role", data={"role": "admin"})
    db.session.expire_all()
    assert db.session.get(Membership, target.id).role is Role.ADMIN
    client.post(f"/p/home-planet/members/{target.id}/role", data={"role": "guest"})
    db.session.expire_all()
    assert db.session.get(Membership, target.id).role is Role.GUEST
    client.post(f"/p/home-planet/members/{target.id}/role", data={"role": "member"})
    db.session.expire_all()
    assert db.session.get(Membership, target.id).role is Role.MEMBER


@pytest.mark.parametrize(
    "target,role,status",
    [("owner", "member", 403), ("expired", "admin", 409), ("banned", "guest", 409),
     ("member", "owner", 400)],
)  # fmt: skip
def test_role_changes_that_are_refused(client, login_as, world, make, target, role, status):
    login_as(world.owner)
    if target == "owner":
        membership_id = db.session.scalar(
            select(Membership.id).where(
                Membership.planet_id == world.planet.id, Membership.user_id == world.owner.id
            )
        )
    else:
        membership_id = world.memberships[target].id
    response = client.post(f"/p/home-planet/members/{membership_id}/role", data={"role": role})
    assert response.status_code == status


def test_admin_cannot_manage_roles(client, login_as, world):
    login_as(world.admin)
    target = world.memberships["member"]
    response = client.post(f"/p/home-planet/members/{target.id}/role", data={"role": "admin"})
    assert response.status_code == 403


def test_role_of_another_planets_member_is_404(client, login_as, world, make):
    stranger = make.member(world.other)
    login_as(world.owner)
    response = client.post(f"/p/home-planet/members/{stranger.id}/role", data={"role": "admin"})
    assert response.status_code == 404


def test_dissolve_needs_confirmation_then_makes_the_planet_read_only(
    client, login_as, world, app, monkeypatch
):
    seen = []
    monkeypatch.setitem(app.extensions, "planet_dispatcher", seen.append)
    login_as(world.owner)
    refused = client.post("/p/home-planet/dissolve", data={"confirm": "wrong"})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Planet, world.planet.id).dissolved_at is None
    assert seen == []

    response = client.post("/p/home-planet/dissolve", data={"confirm": "home-planet"})
    assert response.status_code == 302
    db.session.expire_all()
    planet = db.session.get(Planet, world.planet.id)
    assert planet.is_dissolved
    assert seen == [jobs.Job("planets.dissolved", {"planet_id": planet.id})]
    landing = client.get("/p/home-planet/about").get_data(as_text=True)
    assert "dissolved" in landing.lower()
    # Read-only now: settings, joining and messaging are refused.
    assert client.get("/p/home-planet/settings").status_code == 403
    login_as(world.outsider)
    assert client.post("/p/home-planet/join").status_code == 403
    login_as(world.member)
    assert (
        client.post(f"/messages/home-planet/{world.owner.id}", data={"body": "hi"}).status_code
        == 403
    )


@pytest.mark.parametrize("who", ["admin", "member"])
def test_only_the_owner_dissolves(client, login_as, world, who):
    login_as(getattr(world, who))
    assert (
        client.post("/p/home-planet/dissolve", data={"confirm": "home-planet"}).status_code == 403
    )
    db.session.expire_all()
    assert db.session.get(Planet, world.planet.id).dissolved_at is None


def test_owner_sets_the_time_zone_that_check_ins_and_events_follow(client, login_as, world):
    from planet.engagement import clock

    login_as(world.owner)
    page = client.get("/p/home-planet/settings").get_data(as_text=True)
    assert '<option selected value="Asia/Shanghai">' in page
    response = client.post("/p/home-planet/settings", data=_settings(timezone="Europe/Berlin"))
    assert response.status_code == 302
    db.session.expire_all()
    planet = db.session.get(Planet, world.planet.id)
    assert planet.timezone == "Europe/Berlin"
    assert str(clock.planet_tz(planet)) == "Europe/Berlin"
    # A zone outside the short list stays selectable once chosen.
    response = client.post("/p/home-planet/settings", data=_settings(timezone="America/Halifax"))
    assert response.status_code == 302
    page = client.get("/p/home-planet/settings").get_data(as_text=True)
    assert '<option selected value="America/Halifax">' in page


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "x" * 300])
def test_an_unknown_time_zone_is_refused_and_nothing_changes(client, login_as, world, zone):
    login_as(world.owner)
    response = client.post("/p/home-planet/settings", data=_settings(name="New", timezone=zone))
    assert response.status_code == 400
    assert "Choose a time zone from the list." in response.get_data(as_text=True)
    db.session.expire_all()
    planet = db.session.get(Planet, world.planet.id)
    assert (planet.name, planet.timezone) == ("Home", "Asia/Shanghai")


def test_owner_sets_the_renewal_grace_period(client, login_as, world):
    login_as(world.owner)
    page = client.get("/p/home-planet/settings").get_data(as_text=True)
    assert 'name="renewal_grace_days"' in page and 'value="7"' in page
    response = client.post("/p/home-planet/settings", data=_settings(renewal_grace_days="10"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Planet, world.planet.id).renewal_grace_days == 10
    assert 'value="10"' in client.get("/p/home-planet/settings").get_data(as_text=True)
    # Not sent (an older form): unchanged.
    assert client.post("/p/home-planet/settings", data=_settings()).status_code == 302
    db.session.expire_all()
    assert db.session.get(Planet, world.planet.id).renewal_grace_days == 10


@pytest.mark.parametrize("days", ["6", "0", "-1", "31", "99999999999999999999", "x", "7.5"])
def test_a_grace_period_shorter_than_the_last_retry_or_absurd_is_refused(
    client, login_as, world, days
):
    login_as(world.owner)
    response = client.post(
        "/p/home-planet/settings", data=_settings(name="Changed", renewal_grace_days=days)
    )
    assert response.status_code == 400
    db.session.expire_all()
    planet = db.session.get(Planet, world.planet.id)
    assert (planet.renewal_grace_days, planet.name) == (7, "Home")


def test_the_grace_period_page_is_in_chinese(client, login_as, world):
    login_as(world.owner)
    page = client.get(
        "/p/home-planet/settings", headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    ).get_data(as_text=True)
    assert "自动续期失败后的宽限期（天）" in page
