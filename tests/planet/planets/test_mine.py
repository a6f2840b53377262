"""'My planets': what I own and belong to, with role and expiry, constant queries."""

from planet.planets.models import MembershipStatus, Role
from tests.conftest import queries_by_page_size


def test_my_planets_lists_roles_and_expiry(client, login_as, make):
    me = make.user(name="Me")
    make.planet(me, slug="mine", name="Mine")
    joined = make.planet(slug="joined", name="Joined")
    make.member(joined, me, role=Role.GUEST)
    left = make.planet(slug="left", name="Left behind")
    make.member(left, me, status=MembershipStatus.LEFT)
    make.planet(slug="stranger", name="Stranger")
    login_as(me)
    html = client.get("/me/planets").get_data(as_text=True)
    assert "Mine" in html and "Joined" in html
    assert "Left behind" not in html and "Stranger" not in html
    assert "Owner" in html and "Guest" in html and "No expiry" in html and "Until " in html


def test_my_planets_needs_sign_in(client):
    assert client.get("/me/planets").status_code in (302, 401)


def test_my_planets_constant_queries(client, login_as, make, app):
    me = make.user()
    for i in range(12):
        make.member(make.planet(slug=f"p{i}"), me)
    login_as(me)
    counts = queries_by_page_size(app, client, "/me/planets", (3, 12))
    assert counts[3] == counts[12], counts
