"""The member page cache (planet/web/pagecache.py) can never serve one viewer's page to another:
for every cached page and every ordered pair of people (every standing, plus two more active
members with personal state of their own), B served after A's entry gets byte for byte the page
B gets with the cache off (CSRF tokens normalised). And the cache is used: a second member of
A's class is served A's entry ("hit")."""

from __future__ import annotations

import itertools
import re

import pytest

from planet.extensions import db
from planet.web import pagecache, pagefront
from tests import factories
from tests.planet.access_helpers import ROLES, TAG, SecurityWorld, Snapshot, module_app

PEOPLE = (*ROLES, "author", "member2")
PAGES = {
    "timeline": "",
    "essence": "?filter=essence",
    "qa": "?filter=qa",
    "topic": "t/{topic}",
    "question": "t/{question}",
    "tag": f"tags/{TAG}",
    "author": "u/{owner}",
    "questions": "questions",
    "answered": "questions?show=answered",
    "columns": "columns",
    "faq": "faq",
}
FRONT_SERVED = {"timeline", "essence", "qa", "topic", "question", "tag", "author"}
"""The pages whose hits the front answers (planet/content/views/reading.py)."""
_TOKEN = re.compile(r'(name="csrf_token" value=")[^"]*(")')


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with module_app(tmp_path_factory, "pagecache") as app:
        world = SecurityWorld(app)
        world.add_column()
        # A second plain member with personal state: unread notifications, a like on a
        # topic no cached page shows.
        second = world._add(world.planet, "member2")
        second.unread_notifications = 4
        world.user("member").unread_notifications = 1
        db.session.commit()
        elsewhere = factories.topic(world.planet, world.user("owner"), "Elsewhere")
        db.session.commit()
        world.ids["elsewhere"] = elsewhere.id
        world.sign_in_everyone()
        world.client("member2")
        world.snapshot = Snapshot()
        yield world


def _url(world, page: str) -> str:
    path = PAGES[page].format(
        topic=world.ids["topic"], question=world.ids["question"], owner=world.uid("owner")
    )
    return world.url(path)


def _normalised(response) -> tuple:
    body = _TOKEN.sub(r"\1TOKEN\2", response.get_data(as_text=True))
    return response.status_code, response.headers.get("Location"), body


def _store(app):
    return app.extensions["planet_page_cache"]


def _uncached(world, who: str, url: str):
    """B's page with nothing kept from anyone: no page cache, and the per-process values
    kept per standing class (the tabs) made again."""
    app = world.app
    store = app.extensions.pop("planet_page_cache")
    app.extensions["planet_short_cache"].entries.clear()
    try:
        return world.client(who).get(url)
    finally:
        app.extensions["planet_page_cache"] = store


@pytest.mark.parametrize("page", PAGES)
def test_no_viewer_is_served_another_ones_page(world, page):
    url = _url(world, page)
    alone = {who: _normalised(_uncached(world, who, url)) for who in PEOPLE}
    front_hits_before = _store(world.app).front_hits
    hits = 0
    for first, second in itertools.product(PEOPLE, PEOPLE):
        _store(world.app).entries.clear()
        world.client(first).get(url)
        response = world.client(second).get(url)
        hits += response.headers.get(pagecache.HEADER) == "hit"
        assert _normalised(response) == alone[second], (page, first, second)
    # Sharing happens: at least the two plain members share one render.
    assert hits >= 2, page
    if page in FRONT_SERVED:
        assert _store(world.app).front_hits > front_hits_before, page


def test_a_reader_of_the_same_class_gets_the_stored_page(world):
    _store(world.app).entries.clear()
    url = _url(world, "timeline")
    assert world.client("author").get(url).headers[pagecache.HEADER] == "miss"
    assert world.client("member2").get(url).headers[pagecache.HEADER] == "hit"
    # The member asked the questions the timeline shows: their page is their own.
    assert world.client("member").get(url).headers[pagecache.HEADER] == "bypass"
    assert world.client("admin").get(url).headers[pagecache.HEADER] == "miss"
    # The person whose comment the topic page shows never gets (nor makes) a shared copy.
    topic = _url(world, "topic")
    world.client("member").get(topic)
    assert world.client("author").get(topic).headers[pagecache.HEADER] == "bypass"


def _through_the_app(world, who: str, url: str):
    """B's page as the app answers it when the front hands every request over."""
    saved = dict(pagefront.FRONT_PAGES)
    pagefront.FRONT_PAGES.clear()
    try:
        return world.client(who).get(url)
    finally:
        pagefront.FRONT_PAGES.update(saved)


def test_the_front_answers_a_hit_without_the_app(world, monkeypatch):
    """A member hit is answered before the app's pipeline: the view never runs, and the page
    is the one the app's own hit gives (the viewer's name and badge, a token of their own)."""
    url = _url(world, "timeline")
    _store(world.app).entries.clear()
    world.client("author").get(url)
    from_the_app = _through_the_app(world, "member2", url)
    assert from_the_app.headers[pagecache.HEADER] == "hit"

    def refuse(*args, **kwargs):
        raise AssertionError("the view ran on a hit")

    monkeypatch.setitem(world.app.view_functions, "content.timeline", refuse)
    before = _store(world.app).front_hits
    response = world.client("member2").get(url)
    assert _store(world.app).front_hits == before + 1
    assert response.headers[pagecache.HEADER] == "hit"
    assert _normalised(response) == _normalised(from_the_app)
    assert (
        response.headers["Content-Security-Policy"]
        == from_the_app.headers["Content-Security-Policy"]
    )
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    assert "Set-Cookie" not in response.headers
    token = _TOKEN.search(response.get_data(as_text=True))
    assert token is not None and "TOKEN" not in token.group(0)


def test_the_front_hands_a_revoked_session_to_the_app(world):
    from planet.accounts.models import AuthSession
    from planet.models import utcnow

    url = _url(world, "timeline")
    _store(world.app).entries.clear()
    world.client("author").get(url)
    world.client("member2").get(url)
    assert world.client("member2").get(url).headers[pagecache.HEADER] == "hit"
    sessions = db.session.query(AuthSession).filter_by(user_id=world.uid("member2")).all()
    for auth_session in sessions:
        auth_session.revoked_at = utcnow()
    db.session.commit()
    try:
        before = _store(world.app).front_hits
        response = world.client("member2").get(url)
        assert _store(world.app).front_hits == before
        assert response.status_code != 200 or pagecache.HEADER not in response.headers
        assert _normalised(response) == _normalised(_through_the_app(world, "member2", url))
    finally:
        for auth_session in sessions:
            auth_session.revoked_at = None
        db.session.commit()


def test_the_front_leaves_a_flashed_message_to_the_app(world):
    url = _url(world, "timeline")
    _store(world.app).entries.clear()
    world.client("author").get(url)
    client = world.client("member2")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved for you")]
    response = client.get(url)
    assert response.headers[pagecache.HEADER] == "bypass"
    assert "Saved for you" in response.get_data(as_text=True)


def test_a_first_read_of_the_day_goes_to_the_app_which_counts_it(world):
    """The front never writes: a topic read not yet noted today is the app's to answer (it
    notes the read for the owner's report); the same member's reload is answered in front."""
    from planet.engagement.insights.landing_views import topic_read_noted
    from planet.planets.models import Planet

    url = _url(world, "topic")
    planet = db.session.get(Planet, world.planet.id)
    _store(world.app).entries.clear()
    world.app.extensions.get("planet_noted_views", {}).clear()
    world.client("member2").get(url)  # stored
    with world.app.test_request_context():
        assert not topic_read_noted(planet, world.ids["topic"], world.uid("member"))
    before = _store(world.app).front_hits
    assert world.client("member").get(url).headers[pagecache.HEADER] == "hit"
    assert _store(world.app).front_hits == before  # the app's hit
    with world.app.test_request_context():
        assert topic_read_noted(planet, world.ids["topic"], world.uid("member"))
    assert world.client("member").get(url).headers[pagecache.HEADER] == "hit"
    assert _store(world.app).front_hits == before + 1
