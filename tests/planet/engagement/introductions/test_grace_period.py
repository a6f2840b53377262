"""The directory lists members in the renewal grace period, and no member whose grace is over."""

from planet.engagement.introductions import services as introductions

FIELDS = {
    "who": "",
    "work": "",
    "offer": "",
    "seeking": "Study partners",
    "city": "Suzhou",
    "tags": "",
    "contact": "",
}


def test_directory_lists_grace_members_not_lapsed_ones(world, standings, as_user):
    for user in (standings.grace, standings.lapsed):
        introductions.write_introduction(world.planet, user, FIELDS)
    standings.settle()

    rows, _ = introductions.search_directory(world.planet, match_names=True)
    assert {row.user_id for row in rows} == {standings.grace.id}
    rows, _ = introductions.search_directory(world.planet, city="suzhou")
    assert {row.user_id for row in rows} == {standings.grace.id}

    page = as_user(world.owner).get("/p/alpha/directory").get_data(as_text=True)
    assert "Gina" in page
    assert "Lars" not in page


def test_members_without_introduction_counts_grace_not_lapsed(world, standings):
    standings.settle()
    rows, _ = introductions.members_without_introduction(world.planet)
    user_ids = {row.user_id for row in rows}
    assert standings.grace.id in user_ids
    assert standings.lapsed.id not in user_ids
    assert world.member.id in user_ids
