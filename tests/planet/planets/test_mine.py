"""'My planets': what I own and belong to, with role and expiry, constant queries."""

from planet.planets.models import MembershipStatus, Role


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


def test_my_planets_constant_queries(client, login_as, make, app, query_counter):
    me = make.user()
    for i in range(12):
        make.member(make.planet(slug=f"p{i}"), me)
    login_as(me)
    counts = {}
    for size in (3, 12):
        app.config["PAGE_SIZE"] = size
        with query_counter() as counter:
            assert client.get("/me/planets").status_code == 200
        counts[size] = counter.count
    assert counts[3] == counts[12], counts
