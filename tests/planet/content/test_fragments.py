"""Cached card fragments: keyed by what they show, never carrying one viewer's state to another."""

import re
from datetime import timedelta

from sqlalchemy import select

from planet.accounts.models import User
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Membership

CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _card(html: str, topic_id: int) -> str:
    match = re.search(rf'<article[^>]*id="t{topic_id}".*?</article>', html, re.S)
    assert match, topic_id
    return match.group(0)


def test_each_viewer_gets_their_own_csrf_token_and_like_state(world, make):
    topic = make.topic(world.planet, world.owner, "A shared card")
    make.comment(topic, world.owner, "A shared comment")
    member, guest = world.client("member"), world.client("guest")
    assert member.post(world.url(f"t/{topic.id}/like")).status_code == 302
    for path in ("", f"t/{topic.id}"):
        pages = {
            who: _html(client, world.url(path)) for who, client in [("m", member), ("g", guest)]
        }
        tokens = {who: set(CSRF_INPUT.findall(html)) for who, html in pages.items()}
        assert len(tokens["m"]) == len(tokens["g"]) == 1, tokens  # one session, one token
        assert tokens["m"] != tokens["g"]
        assert "planetslot" not in pages["m"] + pages["g"]
    timeline_member = _card(_html(member, world.url()), topic.id)
    timeline_guest = _card(_html(guest, world.url()), topic.id)
    assert 'aria-pressed="true"' in timeline_member
    assert 'aria-pressed="false"' in timeline_guest


def test_the_next_field_is_this_page(world, make):
    topic = make.topic(world.planet, world.owner, "Next please")
    client = world.client("member")
    first = _card(_html(client, world.url("?filter=all")), topic.id)
    second = _card(_html(client, world.url()), topic.id)
    assert 'name="next" value="/p/moon/?filter=all"' in first
    assert 'name="next" value="/p/moon/?"' in second


def test_a_changed_topic_author_or_count_shows_at_once(world, make):
    topic = make.topic(world.planet, world.owner, "Before the edit", title="Old title")
    client = world.client("member")
    assert "Old title" in _card(_html(client, world.url()), topic.id)
    assert (
        world.client("owner")
        .post(
            world.url(f"t/{topic.id}/edit"), data={"title": "New title", "body": "After the edit"}
        )
        .status_code
        == 302
    )
    card = _card(_html(client, world.url()), topic.id)
    assert "New title" in card and "After the edit" in card and "Old title" not in card
    owner = db.session.get(User, world.owner.id)
    owner.display_name = "Renamed Owner"
    db.session.commit()
    assert "Renamed Owner" in _card(_html(client, world.url()), topic.id)
    world.client("admin").post(world.url(f"t/{topic.id}/like"))
    assert re.search(
        r"icon-heart.*?</svg> \S+ 1</button>",
        " ".join(_card(_html(client, world.url()), topic.id).split()),
    )


def test_the_language_is_part_of_the_key(world, make):
    topic = make.topic(world.planet, world.owner, "Bilingual")
    client = world.client("member")
    client.post("/language", data={"lang": "en"})
    assert "Comments" in _card(_html(client, world.url()), topic.id)
    client.post("/language", data={"lang": "zh"})
    card = _card(_html(client, world.url()), topic.id)
    assert "评论" in card and "Comments" not in card


def test_a_cached_card_is_not_served_after_access_ends(world, make):
    make.topic(world.planet, world.owner, "Members only CANARY-frag")
    client = world.client("member")
    assert "CANARY-frag" in _html(client, world.url())
    membership = db.session.scalar(select(Membership).where(Membership.user_id == world.member.id))
    membership.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(world.url())
    assert response.status_code == 302
    assert b"CANARY-frag" not in response.get_data()


def test_fragments_render_the_same_without_the_cache(world, make, app):
    topic = make.topic(world.planet, world.owner, "Same either way")
    make.comment(topic, world.member, "A comment")
    client = world.client("member")
    pages = [_html(client, world.url(path)) for path in ("", f"t/{topic.id}")]
    app.extensions["planet_fragments"] = app.extensions["planet_fragments"].__wrapped__
    again = [_html(client, world.url(path)) for path in ("", f"t/{topic.id}")]
    strip = re.compile(r'value="[^"]*\.[^"]*\.[^"]*"')  # signed CSRF tokens carry a timestamp
    assert [strip.sub("", html) for html in pages] == [strip.sub("", html) for html in again]


def test_the_topic_page_asks_for_the_viewers_like_with_the_viewer(world, make, app, query_counter):
    """With nothing stored for the page (the page cache off), the statement that loads the
    viewer also asks whether they liked the topic the URL names: the page shows their like
    and the guest's, each right, without a statement of its own for it."""
    topic = make.topic(world.planet, world.owner, "Liked by one")
    member, guest = world.client("member"), world.client("guest")
    assert member.post(world.url(f"t/{topic.id}/like")).status_code == 302
    app.extensions.pop("planet_page_cache", None)
    url = world.url(f"t/{topic.id}")
    _html(member, url), _html(guest, url)  # the short-lived topic card is kept from here on
    with query_counter() as counter:
        liked, not_liked = _card(_html(member, url), topic.id), _card(_html(guest, url), topic.id)
    assert 'aria-pressed="true"' in liked and 'aria-pressed="false"' in not_liked
    assert not any("FROM likes" in s and "auth_sessions" not in s for s in counter.statements)
