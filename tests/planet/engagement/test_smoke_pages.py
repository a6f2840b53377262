"""Every engagement page renders for the owner, in both languages."""

import pytest

PAGES = [
    "directory",
    "introduction",
    "directory/template",
    "directory/missing",
    "challenges",
    "challenges/new",
    "homework",
    "homework/new",
    "points",
    "points/history",
    "points/settings",
    "points/inactive",
    "events",
    "events/new",
    "polls",
    "polls/new",
    "lotteries/new",
    "health",
]


@pytest.mark.parametrize("page", PAGES)
def test_owner_sees_page(world, as_user, page):
    client = as_user(world.owner)
    response = client.get(f"/p/alpha/{page}")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "Alpha" in response.get_data(as_text=True) or world.planet.name in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize("page", ["health", "points/inactive", "directory/missing"])
def test_member_refused_owner_pages(world, as_user, page):
    client = as_user(world.member)
    assert client.get(f"/p/alpha/{page}").status_code == 403
