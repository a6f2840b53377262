"""Introductions and the directory: search, contact visibility, public directory, isolation."""

from planet.engagement.introductions import services as introductions
from planet.extensions import db
from tests.conftest import page_queries

FIELDS = {
    "who": "A designer",
    "work": "UX research",
    "offer": "Portfolio reviews",
    "seeking": "Co-founders",
    "city": "Hangzhou",
    "tags": "design, figma",
    "contact": "wechat: mia-canary",
}


def _intro(world, client):
    response = client.post("/p/alpha/introduction", data=FIELDS)
    assert response.status_code == 302


def test_member_writes_and_searches(world, as_user):
    client = as_user(world.member)
    _intro(world, client)
    for query in ("tag=figma", "city=hangzhou", "q=portfolio"):
        page = client.get(f"/p/alpha/directory?{query}").get_data(as_text=True)
        assert "Mia" in page and "mia-canary" in page
    assert "Portfolio reviews" not in client.get("/p/alpha/directory?tag=python").get_data(
        as_text=True
    )


def test_contacts_hidden_when_roster_hidden(world, as_user):
    _intro(world, as_user(world.member))
    world.planet.roster_visible = False
    db.session.commit()
    other = as_user(world.member)
    # A member cannot open the directory while the roster is hidden; the owner can, and
    # the owner's view shows contacts (VIEW_CONTACTS for moderators).
    assert other.get("/p/alpha/directory").status_code == 403
    owner_page = as_user(world.owner).get("/p/alpha/directory").get_data(as_text=True)
    assert "Mia" in owner_page


def test_visitor_sees_public_directory_without_contacts_or_names(world, as_user, client):
    _intro(world, as_user(world.member))
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/p/alpha/directory").status_code == 401
    world.planet.public_directory = True
    db.session.commit()
    page = client.get("/p/alpha/directory").get_data(as_text=True)
    assert "Portfolio reviews" in page
    assert "mia-canary" not in page
    outsider_page = as_user(world.outsider).get("/p/alpha/directory").get_data(as_text=True)
    assert "Portfolio reviews" in outsider_page and "mia-canary" not in outsider_page


def test_other_planets_member_never_sees_directory(world, make, as_user):
    _intro(world, as_user(world.member))
    beta = make.planet(world.outsider, slug="beta")
    client = as_user(world.outsider)
    assert client.get("/p/alpha/directory").status_code == 403
    assert "mia-canary" not in client.get(f"/p/{beta.slug}/directory").get_data(as_text=True)


def test_empty_introduction_refused(world, as_user):
    response = as_user(world.member).post("/p/alpha/introduction", data={"city": "X"})
    assert response.status_code == 400
    assert introductions.introduction_of(world.planet.id, world.member.id) is None


def test_owner_sees_missing_and_reminds_once_a_day(world, as_user, monkeypatch):
    client = as_user(world.owner)
    page = client.get("/p/alpha/directory/missing").get_data(as_text=True)
    assert "Mia" in page
    sent = []
    from planet import jobs

    monkeypatch.setitem(
        jobs.registry, "engagement.introduction_reminder", lambda **kw: sent.append(kw)
    )
    for _ in range(2):
        response = client.post("/p/alpha/directory/remind", data={"user_id": world.member.id})
        assert response.status_code == 302
    assert [kw["user_id"] for kw in sent] == [world.member.id]
    assert (
        as_user(world.member)
        .post("/p/alpha/directory/remind", data={"user_id": world.owner.id})
        .status_code
        == 403
    )


def test_roster_hidden_public_directory_member_sees_no_contacts(world, as_user):
    _intro(world, as_user(world.member))
    world.planet.roster_visible = False
    world.planet.public_directory = True
    db.session.commit()
    page = as_user(world.member).get("/p/alpha/directory").get_data(as_text=True)
    assert "Portfolio reviews" in page and "mia-canary" not in page


def test_new_member_is_invited_not_forced(world, make, as_user):
    """On the planet's home page a member without an introduction is invited; "not now" hides
    it for this browser; writing one ends it; an outsider never sees it."""
    newcomer = make.user(name="Nora")
    make.member(world.planet, newcomer)
    client = as_user(newcomer)
    invite = "Introduce yourself to the other members"
    assert invite in client.get("/p/alpha/").get_data(as_text=True)
    assert invite not in client.get("/p/alpha/challenges").get_data(as_text=True)  # home only
    assert client.get("/p/alpha/introduction").status_code == 200  # optional, never a redirect
    later = client.post("/p/alpha/introduction/later", data={"next": "/p/alpha/"})
    assert later.status_code == 302 and later.location.endswith("/p/alpha/")
    assert invite not in client.get("/p/alpha/").get_data(as_text=True)
    # The next browser (a fresh session) is invited again until the introduction exists.
    client = as_user(newcomer)
    assert invite in client.get("/p/alpha/").get_data(as_text=True)
    client.post("/p/alpha/introduction", data=FIELDS)
    assert invite not in client.get("/p/alpha/").get_data(as_text=True)
    assert introductions.introduction_of(world.planet.id, newcomer.id) is not None
    assert invite not in as_user(world.outsider).get("/p/alpha/").get_data(as_text=True)


def test_not_now_never_redirects_off_the_planet(world, as_user):
    client = as_user(world.member)
    for target in ("https://evil.example/", "//evil.example/p/alpha/", "/p/beta/x", "/p/alpha/\\x"):
        response = client.post("/p/alpha/introduction/later", data={"next": target})
        assert response.status_code == 302
        assert response.location.endswith("/p/alpha/about"), (target, response.location)
    assert as_user(world.outsider).post("/p/alpha/introduction/later").status_code == 403


def test_hidden_roster_public_directory_hides_names_and_name_search(world, make, as_user, client):
    """A visitor, or a member while the list is hidden, sees introductions without names, and
    typing a member's name into the search finds nothing (it would unmask the introduction)."""
    _intro(world, as_user(world.member))
    world.planet.public_directory = True
    db.session.commit()
    member_view = as_user(world.owner).get("/p/alpha/directory?q=mia").get_data(as_text=True)
    assert "Portfolio reviews" in member_view and "Mia" in member_view  # names while visible
    with client.session_transaction() as session:
        session.clear()
    visitor = client.get("/p/alpha/directory").get_data(as_text=True)
    assert "Portfolio reviews" in visitor and "Mia" not in visitor
    assert "Portfolio reviews" not in client.get("/p/alpha/directory?q=mia").get_data(as_text=True)
    assert "Portfolio reviews" in client.get("/p/alpha/directory?q=portfolio").get_data(
        as_text=True
    )
    world.planet.roster_visible = False
    db.session.commit()
    other = make.user(name="Ola")
    make.member(world.planet, other)
    hidden = as_user(other).get("/p/alpha/directory").get_data(as_text=True)
    assert "Portfolio reviews" in hidden and "Mia" not in hidden and "mia-canary" not in hidden
    assert "Portfolio reviews" not in as_user(other).get("/p/alpha/directory?q=mia").get_data(
        as_text=True
    )


def test_landing_page_links_the_public_directory_only(world, client):
    assert "/p/alpha/directory" not in client.get("/p/alpha/about").get_data(as_text=True)
    world.planet.public_directory = True
    db.session.commit()
    assert "/p/alpha/directory" in client.get("/p/alpha/about").get_data(as_text=True)


def test_template_prompts_left_as_default_stay_translated(world, as_user):
    from flask_babel import force_locale

    client = as_user(world.owner)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    form = client.get("/p/alpha/directory/template").get_data(as_text=True)
    assert "我能提供什么" in form
    saved = client.post(
        "/p/alpha/directory/template",
        data={
            "who": "一句话介绍你自己",
            "work": "我做什么",
            "offer": "我能提供什么",
            "seeking": "我在寻找什么",
        },
    )
    assert saved.status_code == 302
    with force_locale("en"):
        prompts = introductions.template_prompts(world.planet.id)
    assert prompts["who"] == "一句话介绍你自己"  # the owner's own words, as written
    assert prompts["offer"] == "What I can offer"  # the untouched default, in the reader's


def test_invitation_and_countdown_cost_no_query_once_cached(app, world, as_user):
    """The header is on every planet page: the invitation's flag and the countdown's events are
    kept a few seconds per process, with or without an upcoming event, so the timeline costs
    the same as once it is dismissed."""
    from datetime import timedelta

    from planet.models import utcnow

    # Kept longer than the test can take on a busy machine: an entry expiring between the two
    # counted pages would add its refill to one of them.
    app.config["SHORT_CACHE_SECONDS"] = 3600
    invite = "Introduce yourself to the other members"
    for with_event in (False, True):
        if with_event:
            world.event_at("Soon", utcnow() + timedelta(days=3))
            db.session.commit()
        client = as_user(world.member)
        client.get("/p/alpha/")  # warm up: the session and the caches of a first request
        counts = []
        for dismissed in (False, True):
            if dismissed:
                client.post("/p/alpha/introduction/later", data={"next": "/p/alpha/"})
            page, statements = page_queries(app, client, "/p/alpha/")
            assert (invite in page) is not dismissed
            assert ("Soon" in page) is with_event
            counts.append(statements)
        assert len(counts[0]) == len(counts[1]), (with_event, counts)
