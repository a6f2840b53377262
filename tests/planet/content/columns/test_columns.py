"""Columns (专栏): who may gather topics, the order, each member's progress, the topic page's
place in its column, what visitors see on the landing page, and bad input (4xx, nothing
written)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from planet.content.columns.models import Column, ColumnEntry, ColumnRead
from planet.content.models import Topic
from planet.extensions import db
from planet.models import utcnow
from tests.conftest import count_queries
from tests.planet.content.conftest import EXPECT_WRITE_DENIED, ROLES


def _topic(world, title: str, body: str | None = None, planet=None, author=None):
    return world.make.topic(
        planet or world.planet, author or world.owner, body or f"Body of {title}", title=title
    )


def _get(world, who, url, lang="en"):
    return world.client(who).get(url, headers={"Accept-Language": lang})


def _column(world, title="Python course", who="owner"):
    response = world.client(who).post(world.url("columns/new"), data={"title": title})
    assert response.status_code == 302, response.status_code
    return db.session.scalar(select(Column).where(Column.title == title))


def _add(world, column, topic, who="owner"):
    return world.client(who).post(
        world.url(f"t/{topic.id}/column"), data={"column_id": str(column.id)}
    )


def _order(column_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(ColumnEntry.topic_id)
            .where(ColumnEntry.column_id == column_id)
            .order_by(ColumnEntry.position)
        )
    )


def _course(world, n=3):
    column = _column(world)
    topics = [_topic(world, f"Lesson {i}") for i in range(1, n + 1)]
    for topic in topics:
        assert _add(world, column, topic).status_code == 302
    return column, topics


CREATE_EXPECTED = {"owner": 302, "admin": 302, "guest": 403, "member": 403, **EXPECT_WRITE_DENIED}


@pytest.mark.parametrize("who", ROLES)
def test_owner_and_admins_create_columns(world, who):
    response = world.client(who).post(world.url("columns/new"), data={"title": f"By {who}"})
    assert response.status_code == CREATE_EXPECTED[who]
    count = db.session.scalar(select(func.count()).select_from(Column))
    assert count == (1 if CREATE_EXPECTED[who] == 302 else 0)


def test_a_column_page_lists_its_topics_in_order_with_the_topic_pages_place(world):
    column, (one, two, three) = _course(world)
    page = _get(world, "member", world.url(f"columns/{column.id}")).get_data(as_text=True)
    assert page.index("Lesson 1") < page.index("Lesson 2") < page.index("Lesson 3")
    topic_page = _get(world, "member", world.url(f"t/{two.id}")).get_data(as_text=True)
    assert "Python course" in topic_page and "(2/3)" in topic_page
    assert f'rel="prev" href="/p/moon/t/{one.id}"' in topic_page
    assert f'rel="next" href="/p/moon/t/{three.id}"' in topic_page
    zh = _get(world, "member", world.url(f"t/{two.id}"), lang="zh-CN")
    assert "专栏：" in zh.get_data(as_text=True) and "（2/3）" in zh.get_data(as_text=True)


def test_moving_and_reordering(world):
    column, (one, two, three) = _course(world)
    client = world.client("admin")
    assert client.post(world.url(f"columns/{column.id}/topics/{three.id}/move"),
                       data={"position": "1"}).status_code == 302  # fmt: skip
    assert _order(column.id) == [three.id, one.id, two.id]
    new_order = [str(two.id), str(three.id), str(one.id)]
    response = client.post(world.url(f"columns/{column.id}/order"), data={"topic_id": new_order})
    assert response.status_code == 302
    assert _order(column.id) == [two.id, three.id, one.id]


def test_reading_progress_is_per_member_and_resumes_after_the_last_read(world):
    column, (one, two, three) = _course(world)
    member = world.client("member")
    response = member.post(world.url(f"columns/{column.id}/read/{one.id}"), data={"go": "next"})
    assert response.headers["Location"].endswith(f"/p/moon/t/{two.id}")
    member.post(world.url(f"columns/{column.id}/read/{two.id}"), data={"go": "next"})
    page = _get(world, "member", world.url(f"columns/{column.id}")).get_data(as_text=True)
    assert "Read 2 of 3" in page
    resume = re.search(r'id="column-resume" href="([^"]+)"', page).group(1)
    assert resume == f"/p/moon/t/{three.id}"
    # Going back to re-read the first lesson: that is where they stopped now, and the way on
    # is the first unread one after it.
    member.post(world.url(f"columns/{column.id}/read/{one.id}"))
    page = _get(world, "member", world.url(f"columns/{column.id}")).get_data(as_text=True)
    assert re.search(r'id="column-resume" href="([^"]+)"', page).group(1).endswith(f"/{three.id}")
    # another member starts at the beginning
    other = _get(world, "guest", world.url(f"columns/{column.id}")).get_data(as_text=True)
    assert "Read 0 of 3" in other
    assert re.search(r'id="column-resume" href="([^"]+)"', other).group(1).endswith(f"/{one.id}")
    member.post(world.url(f"columns/{column.id}/read/{three.id}"))
    done = _get(world, "member", world.url(f"columns/{column.id}")).get_data(as_text=True)
    assert "You have read the whole column." in done and 'id="column-resume"' not in done


def test_a_deleted_topic_drops_out_of_the_column(world):
    column, (one, two, three) = _course(world)
    assert world.client("owner").post(world.url(f"t/{two.id}/delete")).status_code == 302
    page = _get(world, "member", world.url(f"t/{three.id}")).get_data(as_text=True)
    assert "(2/2)" in page and f'rel="prev" href="/p/moon/t/{one.id}"' in page
    column_page = _get(world, "member", world.url(f"columns/{column.id}")).get_data(as_text=True)
    assert "Lesson 2" not in column_page


def test_visitors_see_titles_and_contents_but_not_the_text(world):
    column, _topics = _course(world)
    secret = _topic(world, "Lesson 4", body="SecretLessonText")
    _add(world, column, secret)
    for who in ("anonymous", "outsider", "expired"):
        landing = _get(world, who, world.url("about")).get_data(as_text=True)
        assert "Python course" in landing and "Lesson 4" in landing, who
        assert "SecretLessonText" not in landing and "Body of Lesson" not in landing, who
        assert _get(world, who, world.url(f"columns/{column.id}")).status_code in (302, 401, 403)


@pytest.mark.usefixtures("page_cache_off")
def test_columns_pages_cost_a_constant_number_of_queries(world):
    column, _topics = _course(world, n=2)
    client = world.client("member")
    client.get(world.url(f"columns/{column.id}"))
    client.get(world.url(f"t/{_topics[0].id}"))  # the day's first read is noted (one INSERT)

    def cost(path):
        # Warm first: a topic page whose short-lived card was just dropped by a write reads
        # the card (and the like with it) in one more statement than a warm one.
        assert client.get(world.url(path)).status_code == 200
        with count_queries() as counter:
            assert client.get(world.url(path)).status_code == 200
        return counter.count

    small = (cost(f"columns/{column.id}"), cost("columns"), cost(f"t/{_topics[0].id}"))
    for i in range(10):
        _add(world, column, _topic(world, f"More {i}"))
        client.post(world.url(f"columns/{column.id}/read/{_topics[0].id}"))
    large = (cost(f"columns/{column.id}"), cost("columns"), cost(f"t/{_topics[0].id}"))
    assert small == large


# ---------------------------------------------------------------- bad input: 4xx, nothing written


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(ColumnEntry))


def test_another_planets_topic_is_not_found(world):
    column = _column(world)
    mars = world.make.planet(world.make.user(name="Mars owner"), slug="mars")
    foreign = _topic(world, "Foreign", planet=mars, author=mars.owner)
    assert _add(world, column, foreign).status_code == 404
    by_id = world.client("owner").post(world.url(f"columns/{column.id}/topics"),
                                       data={"topic_id": str(foreign.id)})  # fmt: skip
    assert by_id.status_code == 404
    assert _entries() == 0


def test_another_planets_column_is_not_found(world):
    mars = world.make.planet(world.make.user(name="Mars owner"), slug="mars")
    theirs = Column(planet_id=mars.id, author_id=mars.owner_id, title="Theirs")
    db.session.add(theirs)
    db.session.commit()
    mine = _topic(world, "Mine")
    assert _add(world, theirs, mine).status_code == 404
    assert _get(world, "owner", world.url(f"columns/{theirs.id}")).status_code == 404
    assert _entries() == 0


def test_a_deleted_topic_or_a_duplicate_is_refused(world):
    column, (one, _two, _three) = _course(world)
    gone = _topic(world, "Gone")
    gone.deleted_at = utcnow()
    db.session.commit()
    assert _add(world, column, gone).status_code == 404  # a deleted topic has no page
    by_id = world.client("owner").post(world.url(f"columns/{column.id}/topics"),
                                       data={"topic_id": str(gone.id)})  # fmt: skip
    assert by_id.status_code == 409
    again = _add(world, column, one)
    assert again.status_code == 409
    other = _column(world, "Another")
    response = world.client("owner").post(
        world.url(f"t/{one.id}/column"),
        data={"column_id": str(other.id)},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 409 and "Python course" in response.get_data(as_text=True)
    assert _entries() == 3


@pytest.mark.parametrize(
    "order",
    [
        ["999999"],  # a bogus id
        ["1", "1", "1"],  # duplicates
        ["x"],  # not a number
        ["99999999999999999999999"],  # beyond 64 bits
    ],
)
def test_reordering_with_bogus_ids_is_refused(world, order):
    column, topics = _course(world)
    before = _order(column.id)
    response = world.client("owner").post(world.url(f"columns/{column.id}/order"),
                                          data={"topic_id": order})  # fmt: skip
    assert response.status_code == 400
    assert _order(column.id) == before


def test_reordering_must_name_every_topic_once(world):
    column, (one, two, three) = _course(world)
    client = world.client("owner")
    for order in ([one.id, two.id], [one.id, two.id, three.id, three.id], [one.id, two.id, 0]):
        response = client.post(world.url(f"columns/{column.id}/order"),
                               data={"topic_id": [str(i) for i in order]})  # fmt: skip
        assert response.status_code == 400
    assert _order(column.id) == [one.id, two.id, three.id]


def test_moving_a_bogus_topic_or_to_a_bogus_place_is_refused(world):
    column, (one, two, three) = _course(world)
    client = world.client("owner")
    url = world.url(f"columns/{column.id}/topics/{one.id}/move")
    assert client.post(world.url(f"columns/{column.id}/topics/999/move"),
                       data={"position": "1"}).status_code == 404  # fmt: skip
    for position in ("0", "4", "-1", "nan", "1e99", ""):
        assert client.post(url, data={"position": position}).status_code == 400, position
    assert _order(column.id) == [one.id, two.id, three.id]


def test_reading_a_topic_outside_the_column_is_refused(world):
    column, _topics = _course(world)
    outside = _topic(world, "Outside")
    response = world.client("member").post(world.url(f"columns/{column.id}/read/{outside.id}"))
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ColumnRead)) == 0


def test_a_long_title_is_refused_in_the_users_language(world):
    response = world.client("owner").post(
        world.url("columns/new"), data={"title": "x" * 81}, headers={"Accept-Language": "zh-CN"}
    )
    assert response.status_code == 400
    assert "最多" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Column)) == 0


def test_removing_keeps_the_topic_and_deleting_the_column_keeps_its_topics(world):
    column, (one, two, _three) = _course(world)
    client = world.client("owner")
    assert client.post(world.url(f"columns/{column.id}/topics/{one.id}/remove")).status_code == 302
    assert _order(column.id)[0] == two.id
    assert client.post(world.url(f"columns/{column.id}/delete")).status_code == 302
    assert _entries() == 0
    assert db.session.get(Topic, one.id).deleted_at is None


def test_add_to_column_is_reachable_from_the_topic_page_for_moderators_only(world):
    column = _column(world)
    topic = _topic(world, "Loose topic")
    link = f'href="/p/moon/t/{topic.id}/column"'
    assert link in _get(world, "admin", world.url(f"t/{topic.id}")).get_data(as_text=True)
    for who in ("guest", "member"):
        assert link not in _get(world, who, world.url(f"t/{topic.id}")).get_data(as_text=True)
    page = _get(world, "admin", world.url(f"t/{topic.id}/column")).get_data(as_text=True)
    assert f'<option value="{column.id}">Python course</option>' in page
    assert _get(world, "guest", world.url(f"t/{topic.id}/column")).status_code == 403
    assert _add(world, column, topic, who="admin").status_code == 302
    shown = _get(world, "admin", world.url(f"t/{topic.id}")).get_data(as_text=True)
    assert link not in shown and "(1/1)" in shown
