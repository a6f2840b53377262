"""Public pages kept for visitors without a session (planet/web/anoncache.py): one visitor's
cookie or token never reaches another, signed-in people never get the shared copy, funnel
views are counted on every hit, and a planet's change shows after its write."""

import re

import pytest
from sqlalchemy import func, select

from planet.engagement.insights.models import FunnelVisit
from planet.extensions import db
from planet.planets import services as planets
from tests.planet.planets.helpers import build_world

TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def world(app, make):
    app.config["ANON_CACHE_SECONDS"] = 30  # off in the other tests (tests/conftest.py)
    world = build_world(make)
    world.planet.description = "First words."
    db.session.commit()
    return world


def _visit(app, path, **headers):
    """A visitor with no cookie at all (a fresh test client each time)."""
    with app.test_client() as client:
        return client.get(path, headers=headers)


def _statements(query_counter, app, path, **headers):
    """The response and the statements the page ran (the funnel's own write, made beside
    the page for a landing view, left out)."""
    with query_counter() as counter:
        response = _visit(app, path, **headers)
    return response, len([sql for sql in counter.statements if "funnel" not in sql])


@pytest.mark.parametrize("path", ["/discover", "/p/home-planet/about", "/discover?sort=active"])
def test_a_cached_page_sets_no_cookie_and_carries_no_token(app, world, query_counter, path):
    first, cold = _statements(query_counter, app, path)
    second, warm = _statements(query_counter, app, path)
    assert first.status_code == second.status_code == 200
    assert warm == 0 < cold  # the second visitor got the stored copy
    assert second.get_data() == first.get_data()
    for response in (first, second):
        assert "Set-Cookie" not in response.headers
        assert response.headers["Cache-Control"] == "private, no-store"
        assert set(TOKEN.findall(response.get_data(as_text=True))) == {""}
        assert 'data-csrf-url="/csrf-token"' in response.get_data(as_text=True)


def test_a_visitor_with_a_session_gets_a_page_of_their_own(app, world, query_counter):
    """A's token (and cookie) never reach B; A, who has a session, bypasses the cache."""
    _visit(app, "/discover")  # stored, tokenless
    with app.test_client() as visitor_a:
        token_a = visitor_a.get("/csrf-token").get_json()["token"]
        with query_counter() as counter:
            page_a = visitor_a.get("/discover").get_data(as_text=True)
        assert counter.count > 0  # rendered for A
        assert TOKEN.findall(page_a) == [token_a]
    page_b = _visit(app, "/discover").get_data(as_text=True)
    assert token_a not in page_b and set(TOKEN.findall(page_b)) == {""}


def test_the_token_fetched_by_the_form_is_accepted(app, world):
    """The language switch of a cached page works once its token is fetched."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_client() as visitor:
        page = visitor.get("/discover").get_data(as_text=True)
        assert set(TOKEN.findall(page)) == {""}
        assert visitor.post("/language", data={"lang": "en", "csrf_token": ""}).status_code == 400
        token = visitor.get("/csrf-token").get_json()["token"]
        sent = visitor.post("/language", data={"lang": "en", "csrf_token": token})
        assert sent.status_code == 302


def test_a_signed_in_request_never_gets_the_shared_copy(app, world, client, login_as):
    _visit(app, "/p/home-planet/about")  # stored
    login_as(world.owner)
    page = client.get("/p/home-planet/about").get_data(as_text=True)
    assert world.owner.display_name in page.split("</header>", 1)[0]  # the owner's top bar
    assert "data-csrf-url" not in page and set(TOKEN.findall(page)) != {""}


def _views(planet_id) -> int:
    return db.session.scalar(
        select(func.count()).select_from(FunnelVisit).where(FunnelVisit.planet_id == planet_id)
    )


def test_landing_views_are_counted_on_every_hit(app, world, query_counter):
    before = _views(world.planet.id)
    agents = [f"Browser {n}" for n in range(3)]
    _, cold = _statements(query_counter, app, "/p/home-planet/about", **{"User-Agent": agents[0]})
    for agent in agents[1:]:
        _visit(app, "/p/home-planet/about", **{"User-Agent": agent})
    db.session.expire_all()
    assert _views(world.planet.id) == before + 3


def test_a_referral_or_discover_visit_is_rendered_for_its_visitor(app, world, query_counter):
    """Those visits are remembered in the visitor's session: never from, nor into, the cache."""
    _visit(app, "/p/home-planet/about")  # stored
    from_discover, count = _statements(
        query_counter, app, "/p/home-planet/about", Referer="http://localhost/discover"
    )
    assert count > 0 and "Set-Cookie" in from_discover.headers
    again, warm = _statements(query_counter, app, "/p/home-planet/about")
    assert warm == 0 and "Set-Cookie" not in again.headers


def test_the_landing_shows_a_change_after_the_planets_write(app, world, client, login_as):
    assert "First words." in _visit(app, "/p/home-planet/about").get_data(as_text=True)
    settings = planets.PlanetSettings.of(world.planet)
    settings.description = "Second words."
    planets.update_planet(world.planet, world.owner, settings)
    db.session.commit()
    page = _visit(app, "/p/home-planet/about").get_data(as_text=True)
    assert "Second words." in page and "First words." not in page


def test_the_copy_expires(app, world, monkeypatch):
    from planet.web import anoncache

    _visit(app, "/p/home-planet/about")
    world.planet.description = "Changed behind the cache's back."
    db.session.commit()
    assert "behind" not in _visit(app, "/p/home-planet/about").get_data(as_text=True)
    later = anoncache.time.monotonic() + app.config["ANON_CACHE_SECONDS"] + 1
    monkeypatch.setattr(anoncache.time, "monotonic", lambda: later)
    assert "behind" in _visit(app, "/p/home-planet/about").get_data(as_text=True)


class _Counted:
    """The app behind the visitors' front, counting the requests that reach it."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.inner(environ, start_response)


@pytest.fixture
def behind_front(app, monkeypatch):
    from planet.web.anoncache import Front

    front = app.wsgi_app
    while not isinstance(front, Front):  # under the member front, and ProxyFix if trusted
        front = getattr(front, "wsgi_app", None) or front.app
    counted = _Counted(front.wsgi_app)
    monkeypatch.setattr(front, "wsgi_app", counted)
    return counted


@pytest.mark.parametrize("path", ["/discover", "/p/home-planet/about"])
def test_hits_are_answered_before_the_app_with_the_apps_headers(app, world, behind_front, path):
    from planet import logs, metrics

    first = _visit(app, path)
    endpoint = "discovery.discover" if path == "/discover" else "planets.landing"
    counted = metrics.HTTP_REQUESTS.labels(endpoint, "GET", "200")
    before = counted._value.get()
    hits = [_visit(app, path), _visit(app, path, **{logs.REQUEST_ID_HEADER: "proxy-id-1234"})]
    assert behind_front.calls == 1  # the first visitor's render; the others never reached Flask
    assert counted._value.get() == before + 2
    ids = {first.headers[logs.REQUEST_ID_HEADER]}
    for hit in hits:
        assert hit.status_code == 200 and hit.get_data() == first.get_data()
        assert [h for h in hit.headers if h[0] != logs.REQUEST_ID_HEADER] == [
            h for h in first.headers if h[0] != logs.REQUEST_ID_HEADER
        ]
        ids.add(hit.headers[logs.REQUEST_ID_HEADER])
    assert len(ids) == 3 and "proxy-id-1234" in ids  # each hit has its own request id


def test_a_hit_before_the_app_leaves_its_log_line(app, world, behind_front):
    import logging

    from planet import logs

    _visit(app, "/discover")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.addFilter(logs.ContextFilter())  # what the app's handlers add: the request id
    handler.emit = records.append
    logging.getLogger("planet.request").addHandler(handler)
    try:
        _visit(app, "/discover", **{"X-Request-ID": "proxy-id-5678"})
    finally:
        logging.getLogger("planet.request").removeHandler(handler)
    assert behind_front.calls == 1
    [line] = records
    assert line.getMessage().startswith("GET /discover 200 ")
    assert line.request_id == "proxy-id-5678" and line.endpoint == "discovery.discover"


def test_the_front_keeps_each_visitors_language_apart(app, world, behind_front):
    chinese = _visit(app, "/discover", **{"Accept-Language": "zh-CN,zh;q=0.9"})
    english = _visit(app, "/discover", **{"Accept-Language": "en-US,en;q=0.9"})
    assert behind_front.calls == 2
    assert _visit(app, "/discover", **{"Accept-Language": "en"}).get_data() == english.get_data()
    assert _visit(app, "/discover", **{"Accept-Language": "zh"}).get_data() == chinese.get_data()
    assert behind_front.calls == 2
    assert '<html lang="en"' in english.get_data(as_text=True)
    assert '<html lang="zh' in chinese.get_data(as_text=True)


def test_the_front_leaves_signed_in_and_session_holders_to_the_app(
    app, world, behind_front, client, login_as
):
    _visit(app, "/discover")
    login_as(world.owner)
    page = client.get("/discover").get_data(as_text=True)
    assert world.owner.display_name in page.split("</header>", 1)[0]
    with app.test_client() as visitor:
        visitor.get("/csrf-token")  # now holds a session cookie
        visitor.get("/discover")
    assert behind_front.calls == 4  # first render, the owner, the token, the session holder


@pytest.mark.parametrize("app_config", [{"PROXY_FIX_X_FOR": 1}])
def test_hits_before_the_app_count_each_forwarded_visitor(app, world, behind_front):
    """The front sits inside ProxyFix: the funnel sees the client's address, not the proxy's."""
    before = _views(world.planet.id)
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        _visit(app, "/p/home-planet/about", **{"X-Forwarded-For": address})
    assert behind_front.calls == 1
    db.session.expire_all()
    assert _views(world.planet.id) == before + 3


def test_a_hit_the_front_cannot_count_is_left_to_the_app(app, world, behind_front, monkeypatch):
    """A failure while counting a view (say, the database for a moment) is not a bare 500
    from the front: the app answers, counting the view itself."""
    from planet.engagement.insights import landing_views

    _visit(app, "/p/home-planet/about")
    before = _views(world.planet.id)
    count = landing_views.count_landing_view
    failures = []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(True)
            raise ConnectionError("gone for a moment")
        return count(*args, **kwargs)

    monkeypatch.setattr(landing_views, "count_landing_view", fails_once)
    response = _visit(app, "/p/home-planet/about", **{"User-Agent": "Another browser"})
    assert response.status_code == 200 and failures
    assert behind_front.calls == 2  # the app answered this one
    db.session.expire_all()
    assert _views(world.planet.id) == before + 1
