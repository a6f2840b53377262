"""The whole flow through the rendered pages with CSRF on, as a browser without JavaScript would:
every form is read from the page it appears on (with its CSRF token) and submitted."""

import re
from io import BytesIO

import pytest
from sqlalchemy import select

from planet.content.models import Topic
from planet.extensions import db
from tests.planet.content.conftest import image_bytes


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_post_ask_answer_comment_like_search_through_pages(world):
    world.planet.anonymous_questions = True
    db.session.commit()
    owner, member = world.client("owner"), world.client("member")

    form = owner.get(world.url("new")).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in form and 'name="images"' in form
    assert owner.post(world.url("new"), data={"body": "no token"}).status_code == 400
    response = owner.post(
        world.url("new"),
        data={
            "csrf_token": _token(form),
            "title": "欢迎",
            "body": "第一篇 #社群运营 内容",
            "images": [(BytesIO(image_bytes()), "cover.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    topic_url = response.headers["Location"]

    timeline = member.get(world.url()).get_data(as_text=True)
    assert "第一篇" in timeline and "/p/moon/files/" in timeline
    image_url = re.search(r'src="(/p/moon/files/[^"]+)"', timeline).group(1)
    assert member.get(image_url).data == image_bytes()

    page = member.get(topic_url).get_data(as_text=True)
    like_action = re.search(r'action="(/p/moon/t/\d+/like)"', page).group(1)
    assert member.post(like_action, data={"csrf_token": _token(page)}).status_code == 302
    comment_action = re.search(r'action="(/p/moon/t/\d+/comments)"', page).group(1)
    response = member.post(comment_action, data={"csrf_token": _token(page), "body": "好文"})
    assert response.status_code == 302
    page = member.get(topic_url).get_data(as_text=True)
    assert "好文" in page and "/unlike" in page
    reply_to = re.search(r'name="parent_id" value="(\d+)"', page).group(1)
    member.post(
        comment_action, data={"csrf_token": _token(page), "body": "补充", "parent_id": reply_to}
    )
    assert 'class="comment reply"' in member.get(topic_url).get_data(as_text=True)

    ask = member.get(world.url("ask")).get_data(as_text=True)
    response = member.post(
        world.url("ask"),
        data={"csrf_token": _token(ask), "addressee": world.owner.id,
              "body": "怎么做社群运营？", "anonymous": "y"},
    )  # fmt: skip
    assert response.status_code == 302
    question = db.session.scalar(select(Topic).where(Topic.kind == "question"))
    waiting = owner.get(world.url("questions?show=waiting")).get_data(as_text=True)
    assert "怎么做社群运营" in waiting and world.member.display_name not in waiting
    page = owner.get(world.url(f"t/{question.id}")).get_data(as_text=True)
    answer_action = re.search(r'action="(/p/moon/t/\d+/answer)"', page).group(1)
    assert (
        owner.post(answer_action, data={"csrf_token": _token(page), "body": "先做内容"}).status_code
        == 302
    )

    results = member.get(world.url("search?q=社群运营")).get_data(as_text=True)
    assert "第一篇" in results and "怎么做社群运营" in results and "先做内容" in results
    assert "第一篇" in member.get(world.url("tags/社群运营")).get_data(as_text=True)
