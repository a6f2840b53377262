"""Hashtags and @mentions in user text (planet.text) and mention resolution (services)."""

import pytest

from planet.content.services.text import mentioned_user_ids
from planet.planets.models import MembershipStatus
from planet.text import extract_hashtags, mention_candidates, render_content, render_markdown


@pytest.mark.parametrize(
    "text,tags",
    [
        ("#社群运营 怎么做", ["社群运营"]),
        ("今天学习#社群运营，收获很多", ["社群运营"]),
        ("#社群运营#好玩", ["社群运营"]),
        ("#Python and #python#", ["python"]),
        ("mixed #标签 #tag。", ["标签", "tag"]),
        ("not a tag: C# or a#b or http://x.com/#frag or &#35;", []),
        ("`#code` and\n\n```\n#block\n```\n", []),
        ("[#linked](http://example.com)", []),
        ("# Heading only", []),
        ("#123 is a number", []),
        ("#" + "长" * 50, ["长" * 40]),
    ],
)
def test_extract_hashtags(text, tags):
    assert extract_hashtags(text) == tags


def test_hashtags_become_links_and_html_stays_inert():
    html = render_content("看 #社群运营 <b>x</b>", tag_url=lambda name: f"/p/s/tags/{name}")
    assert '<a href="/p/s/tags/社群运营" class="hashtag"' in html
    assert "&lt;b&gt;" in html
    assert render_markdown("#社群运营") == "<p>#社群运营</p>\n"


def test_mention_candidates_allow_names_with_spaces():
    candidates = mention_candidates("hi @The member, and @张三 好; mail a@b.com")
    assert {"The", "The member", "张三"} <= candidates
    assert "b.com" not in candidates


def test_mentioned_user_ids_are_active_members_only(world, make, app):
    make.member(world.planet, make.user(name="Left Person"), status=MembershipStatus.LEFT)
    text = "@The member @The guest @Expired @Banned @Outsider @Left Person @Nobody"
    with app.test_request_context():
        ids = mentioned_user_ids(world.planet, text)
    assert sorted(ids) == sorted([world.member.id, world.guest.id])
