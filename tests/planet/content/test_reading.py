"""Reading: timeline and lists with keyset pages, constant query counts, and no leaks."""

import re
from io import BytesIO

import pytest
from sqlalchemy import select

from planet.content.models import Attachment, Comment, Topic
from planet.content.services import comments, likes, questions, topics
from planet.extensions import db
from planet.jobs import commit
from tests.conftest import page_queries
from tests.planet.content.conftest import ROLES, image_bytes

# Files are stored on this machine and in an S3 bucket (tests/plugins/s3.py): both must work.
pytestmark = pytest.mark.usefixtures("storage_backend")

READERS = ("owner", "admin", "guest", "member")
NON_READERS = ("expired", "banned", "outsider", "anonymous")


def _next_link(html: str) -> str | None:
    match = re.search(r'class="button secondary" href="([^"]*after=[^"]*)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def _walk(client, url, marker=r"topic-(\d+)-end"):
    seen = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        seen += [int(n) for n in re.findall(marker, html)]
        url = _next_link(html)
    return seen


def _seed(world, app, count):
    app.extensions["planet_dispatcher"] = lambda job: None
    with app.test_request_context():
        for n in range(count):
            if n % 4 == 3:
                question = questions.ask_question(
                    world.planet, world.member, addressee_id=world.owner.id,
                    body=f"question topic-{n}-end #seed",
                )  # fmt: skip
                questions.answer_question(world.planet, world.owner, question, f"answer {n}")
            else:
                image = type("F", (), {"stream": BytesIO(image_bytes()), "filename": "a.png"})
                topic = topics.create_topic(
                    world.planet, world.owner, title=f"T{n}",
                    body=f"post topic-{n}-end #seed 社群运营", images=[image] if n % 5 == 0 else [],
                )  # fmt: skip
                comments.add_comment(world.planet, world.member, topic, f"comment {n}")
                likes.like(world.planet, world.member, topic=topic)
        questions.ask_question(
            world.planet, world.member, addressee_id=world.owner.id, body="open question"
        )
        commit()
    return world


@pytest.fixture
def small(world, app):
    yield _seed(world, app, 8)
    app.extensions.pop("planet_dispatcher", None)


@pytest.fixture
def seeded(world, app):
    """120 topics: posts with tags and images, answered questions, comments and likes."""
    yield _seed(world, app, 120)
    app.extensions.pop("planet_dispatcher", None)


def test_timeline_keyset_pages_cover_everything_once(seeded, app):
    app.config["PAGE_SIZE"] = 7
    seen = _walk(seeded.client("member"), seeded.url())
    assert seen == list(range(119, -1, -1))


def test_bad_cursors_are_400_not_500(seeded):
    client = seeded.client("member")
    good = _next_link(client.get(seeded.url()).get_data(as_text=True)).split("after=")[1]
    for cursor in ("nonsense", good[:-2] + "xx", "W10", "a" * 500, good + "."):
        for path in ("", "questions", "tags/seed", f"u/{seeded.owner.id}", "search?q=post&"):
            sep = "&" if "?" in path else "?"
            response = client.get(seeded.url(f"{path}{sep}after={cursor}"))
            assert response.status_code == 400, (path, cursor)
    from planet.web.cursors import encode

    wrong_shape = encode(5)  # one part where the timeline wants (time, id)
    wrong_kind = encode(2**62, 5)  # no date is that far from the epoch
    too_big = encode(2**63, 5)
    for cursor in (wrong_shape, wrong_kind, too_big):
        assert client.get(seeded.url(f"?after={cursor}")).status_code == 400, cursor
    for cursor in (wrong_kind, too_big, "1.2.3"):  # the Q&A lists page by id alone
        assert client.get(seeded.url(f"questions?show=mine&after={cursor}")).status_code == 400
    assert client.get(seeded.url("?filter=bogus")).status_code == 400


PAGES = [
    "",
    "?filter=essence",
    "?filter=qa",
    "questions",
    "questions?show=waiting",
    "questions?show=mine",
    "tags/seed",
    "u/{owner}",
    "search?q=topic",
    "search?q=社群运营",
    "t/{first}",
    "reports",
]


MOST_QUERIES = {"owner": 6, "member": 4}
"""Statements per page with the short cache warm (the owner's header counts the inboxes; a
topic's column, images and files are read only when it has some)."""


def test_every_page_runs_a_constant_number_of_queries(seeded, app, query_counter):
    """Page sizes 5 and 50 on a planet with 120 topics cost the same number of queries."""
    first = db.session.scalar(select(Topic.id).order_by(Topic.id))
    for n in range(60):  # enough comments on the first topic for both page sizes
        db.session.add(
            Comment(planet_id=seeded.planet.id, topic_id=first, author_id=seeded.member.id,
                             body=f"c{n}", body_html=f"<p>c{n}</p>")
        )  # fmt: skip
    db.session.commit()
    for who in ("owner", "member"):
        client = seeded.client(who)
        for path in PAGES:
            url = seeded.url(path.format(owner=seeded.owner.id, first=first))
            with query_counter() as cold:  # the short cache (strip, hashtags) filled here
                client.get(url)
            counts = {}
            for size in (5, 50):
                app.config["PAGE_SIZE"] = size
                with query_counter() as counter:
                    response = client.get(url)
                expected = 403 if path == "reports" and who == "member" else 200
                assert response.status_code == expected, (who, path)
                counts[size] = counter.count
            assert counts[5] == counts[50], (who, path, counts)
            assert counts[50] <= MOST_QUERIES[who], (who, path, counts)
            assert cold.count <= counts[50] + 3, (who, path, cold.count, counts)
            print(who, path, cold.count, counts[50])


def test_pinned_topics_shown_above_the_first_page(seeded, app):
    app.config["PAGE_SIZE"] = 5
    oldest = db.session.scalar(select(Topic).order_by(Topic.id))
    assert (
        seeded.client("admin")
        .post(seeded.url(f"t/{oldest.id}/feature"), data={"what": "pin", "on": "1"})
        .status_code
        == 302
    )
    html = seeded.client("member").get(seeded.url()).get_data(as_text=True)
    assert html.index("topic-0-end") < html.index("topic-119-end")
    second = seeded.client("member").get(_next_link(html)).get_data(as_text=True)
    assert '<section class="pinned"' not in second


def test_a_pinned_topic_on_the_first_page_is_not_repeated_below(small):
    newest = db.session.scalar(
        select(Topic).where(Topic.body.like("post %")).order_by(Topic.id.desc())
    )
    marker = re.search(r"topic-\d+-end", newest.body).group(0)
    pin = small.client("admin").post(
        small.url(f"t/{newest.id}/feature"), data={"what": "pin", "on": "1"}
    )
    assert pin.status_code == 302
    html = small.client("member").get(small.url()).get_data(as_text=True)
    pinned, _, below = html.partition('<section class="pinned"')[2].partition("</section>")
    assert marker in pinned
    assert marker not in below  # shown once, above the feed
    assert "topic-0-end" in below  # the rest of the page is still there


def test_the_first_page_reads_its_pinned_topics_in_its_own_statement(small, app):
    """Newest pin first, at most five, and one statement for the pinned topics and the page:
    with a statement of their own, the query would not order by the feed's time."""
    posts = db.session.scalars(
        select(Topic).where(Topic.body.like("post %")).order_by(Topic.id)
    ).all()
    assert len(posts) == 6
    for topic in posts:  # pinned oldest topic first: the newest pin is posts[-1]
        pin = small.client("admin").post(
            small.url(f"t/{topic.id}/feature"), data={"what": "pin", "on": "1"}
        )
        assert pin.status_code == 302
    body, statements = page_queries(app, small.client("member"), small.url())
    pinned = body.partition('<section class="pinned"')[2].partition("</section>")[0]
    markers = re.findall(r"topic-(\d+)-end", pinned)
    expected = [re.search(r"topic-(\d+)-end", t.body).group(1) for t in reversed(posts)][:5]
    assert markers == expected
    reading_pins = [sql for sql in statements if "pinned_at IS NOT NULL" in sql]
    assert len(reading_pins) == 1
    assert "feed_at DESC" in reading_pins[0]
    assert [sql for sql in statements if "ORDER BY topics.feed_at DESC" in sql] == reading_pins


def test_gated_pages_are_private_no_store(small):
    seeded = small
    first = db.session.scalar(select(Topic.id).order_by(Topic.id))
    key = db.session.scalar(select(Attachment.key))
    for who in ROLES:
        client = seeded.client(who)
        for path in ("", f"t/{first}", "questions", "tags/seed", "search?q=x", f"files/{key}"):
            response = client.get(seeded.url(path))
            assert response.headers["Cache-Control"] == "private, no-store", (who, path)


@pytest.mark.parametrize("who", NON_READERS)
def test_non_readers_are_sent_to_the_landing_page(small, who):
    seeded = small
    for path in ("", "questions", "tags/seed", f"u/{seeded.owner.id}", "search?q=topic"):
        response = seeded.client(who).get(seeded.url(path))
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/p/moon/about")


def test_a_canary_never_reaches_a_non_member(world, app, make):
    canary = "CANARY-7f3a-金丝雀"
    owner = world.client("owner")
    owner.post(
        world.url("new"),
        data={"title": canary, "body": f"{canary} #金丝雀",
              "images": [(BytesIO(image_bytes()), f"{canary}.png")]},
        content_type="multipart/form-data",
    )  # fmt: skip
    topic = db.session.scalar(select(Topic))
    world.client("member").post(world.url(f"t/{topic.id}/comments"), data={"body": canary})
    key = db.session.scalar(select(Attachment.key))
    assert canary in world.client("member").get(world.url(f"t/{topic.id}")).get_data(True)
    paths = [
        "", f"t/{topic.id}", "tags/金丝雀", f"u/{world.owner.id}", f"search?q={canary}",
        "questions", f"files/{key}", f"t/{topic.id}/report", "reports", "ask", "new",
    ]  # fmt: skip
    for who in NON_READERS:
        client = world.client(who)
        for path in paths:
            response = client.get(world.url(path), follow_redirects=False)
            body = response.get_data()
            assert canary.encode() not in body, (who, path)
            if not path.startswith("files/"):  # an error page may echo the URL asked for
                assert key.encode() not in body, (who, path)
            assert image_bytes() not in body
            assert response.status_code in (302, 401, 403), (who, path, response.status_code)
        for path in (f"t/{topic.id}/like", f"t/{topic.id}/comments", f"t/{topic.id}/report"):
            response = client.post(world.url(path), data={"body": "x", "reason": "x"})
            assert canary.encode() not in response.get_data(), (who, path)
    # Another planet's owner gets nothing either.
    stranger = make.planet(slug="mars").owner
    world.people["stranger"] = stranger
    for path in paths:
        assert canary.encode() not in world.client("stranger").get(world.url(path)).get_data()
