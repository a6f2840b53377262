"""The one `next` normaliser against known open-redirect bypasses."""

import pytest

from planet.web.redirects import safe_next

BYPASSES = [
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/ /evil.example",
    "\t//evil.example",
    " //evil.example",
    "/%2F/evil.example",
    "/%2f/evil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%252F/evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,x",
    "evil.example",
    "/\uff0f/evil.example",
    "/\u2215/evil.example",
    "/\u2044/evil.example",
    "/\u200b/evil.example",
    "/\x00/evil.example",
    "/" + "a" * 2001,
    "",
    None,
]


@pytest.mark.parametrize("target", BYPASSES)
def test_bypass_falls_back(app, target):
    with app.test_request_context():
        assert safe_next(target, "/fallback") == "/fallback"


@pytest.mark.parametrize(
    "target", ["/", "/p/growth-club", "/p/growth-club/t/3?page=2#c5", "/search?q=%E7%A4%BE"]
)
def test_local_path_kept(app, target):
    with app.test_request_context():
        assert safe_next(target, "/fallback") == target


def test_like_form_next_with_tab_stays_on_site(client, make, login_as):
    """The like form's `next` was the reported bypass: a tab between the slashes."""
    owner = make.user()
    planet = make.planet(owner=owner)
    topic = make.topic(planet, owner)
    login_as(owner)
    response = client.post(f"/p/{planet.slug}/t/{topic.id}/like", data={"next": "/\t/evil.example"})
    assert response.status_code in (302, 303)
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("http://localhost/p/moon/t/3?x=1", "/p/moon/t/3?x=1"),
        ("http://localhost//evil.example", "/"),
        ("http://localhost/\\evil.example", "/"),
        ("https://evil.example/p/moon", "/"),
        (None, "/"),
    ],
)
def test_language_switch_returns_through_safe_next(client, referrer, expected):
    headers = {"Referer": referrer} if referrer else {}
    response = client.post("/language", data={"lang": "en"}, headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected
