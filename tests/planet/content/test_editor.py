"""The editor's preview renders and sanitizes exactly as publishing does, for people who may
read the planet, and refuses what it would never publish."""

from __future__ import annotations

import pytest

from planet.content.views.writing import PREVIEW_LIMIT


@pytest.fixture
def world(make):
    owner = make.user()
    planet = make.planet(owner, price_amount=9900)
    return owner, planet


def test_the_preview_is_the_published_rendering(client, login_as, world):
    owner, planet = world
    login_as(owner)
    text = "Hello **world**\n\n- one\n\n> quoted <script>alert(1)</script>"

    response = client.post(f"/p/{planet.slug}/markdown-preview", data={"text": text})

    html = response.get_json()["html"]
    assert response.status_code == 200
    assert "<strong>world</strong>" in html and "<li>one</li>" in html and "<blockquote>" in html
    assert "<script" not in html


def test_a_preview_is_bounded(client, login_as, world):
    owner, planet = world
    login_as(owner)
    too_long = "x" * (PREVIEW_LIMIT + 1)
    response = client.post(f"/p/{planet.slug}/markdown-preview", data={"text": too_long})
    assert response.status_code == 413


def test_people_who_may_not_read_get_no_preview(client, login_as, world, make):
    _, planet = world
    assert client.post(f"/p/{planet.slug}/markdown-preview", data={"text": "x"}).status_code in (
        302,
        401,
        403,
        404,
    )
    login_as(make.user())  # signed in, not a member of the paid planet
    refused = client.post(f"/p/{planet.slug}/markdown-preview", data={"text": "x"})
    assert refused.status_code in (403, 404)


def test_the_toolbar_is_on_the_writing_forms_and_hidden_until_the_script_runs(
    client, login_as, world
):
    owner, planet = world
    login_as(owner)
    html = client.get(f"/p/{planet.slug}/new").get_data(as_text=True)
    assert 'class="md-toolbar"' in html and 'data-target="body"' in html
    toolbar = html[html.index('class="md-toolbar"') :]
    assert toolbar[: toolbar.index(">")].count(" hidden") == 1  # shown only by editor.js
    assert "js/editor.js" in html
