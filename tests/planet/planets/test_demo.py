"""`flask seed-demo`: creates consistent data once; `--if-empty` then does nothing."""

from sqlalchemy import func, select

from planet.accounts.models import User
from planet.content.models import Comment, Hashtag, Like, Topic, TopicHashtag
from planet.extensions import db
from planet.planets.models import Membership, MembershipStatus, Planet, Role


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_seed_demo_runs_once_and_keeps_counters_consistent(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "owner@demo.planet" in result.output and "planet-demo-2026" in result.output
    db.session.expire_all()
    assert _count(User) == 5
    planets = {p.slug: p for p in db.session.scalars(select(Planet))}
    assert len(planets) == 3
    prices = sorted((p.price_amount, p.currency) for p in planets.values())
    assert prices == [(0, "cny"), (9900, "usd"), (19900, "cny")]
    owner = db.session.scalar(select(User).where(User.email == "owner@demo.planet"))
    for planet in planets.values():
        assert planet.owner_id == owner.id
        active = db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.planet_id == planet.id, Membership.status == MembershipStatus.ACTIVE
            )
        )
        assert planet.member_count == active == 4
        roles = set(
            db.session.scalars(select(Membership.role).where(Membership.planet_id == planet.id))
        )
        assert roles == {Role.OWNER, Role.ADMIN, Role.GUEST, Role.MEMBER}
        in_feed = db.session.scalar(
            select(func.count(Topic.id)).where(
                Topic.planet_id == planet.id, Topic.in_feed.is_(True), Topic.deleted_at.is_(None)
            )
        )
        assert planet.topic_count == in_feed
        essence = db.session.scalar(
            select(func.count(Topic.id)).where(
                Topic.planet_id == planet.id, Topic.is_essence.is_(True)
            )
        )
        assert essence >= 2
        pinned = db.session.scalar(
            select(func.count(Topic.id)).where(
                Topic.planet_id == planet.id, Topic.pinned_at.is_not(None)
            )
        )
        assert pinned == 1
    for topic in db.session.scalars(select(Topic)):
        comments = db.session.scalar(
            select(func.count(Comment.id)).where(Comment.topic_id == topic.id)
        )
        likes = db.session.scalar(select(func.count(Like.id)).where(Like.topic_id == topic.id))
        assert (topic.comment_count, topic.like_count) == (comments, likes)
    for comment in db.session.scalars(select(Comment)):
        likes = db.session.scalar(select(func.count(Like.id)).where(Like.comment_id == comment.id))
        assert comment.like_count == likes
    assert db.session.scalar(select(func.count(Comment.id)).where(Comment.parent_id.is_not(None)))
    questions = db.session.scalars(select(Topic).where(Topic.addressee_id.is_not(None))).all()
    assert any(q.answered_at for q in questions) and any(not q.answered_at for q in questions)
    assert {q.addressee_id for q in questions} >= {owner.id}
    assert len({q.addressee_id for q in questions}) == 2  # the owner and the guest
    for hashtag in db.session.scalars(select(Hashtag)):
        used = db.session.scalar(
            select(func.count())
            .select_from(TopicHashtag)
            .join(Topic, Topic.id == TopicHashtag.topic_id)
            .where(TopicHashtag.hashtag_id == hashtag.id, Topic.in_feed.is_(True))
        )
        assert hashtag.topic_count == used
    assert db.session.scalar(select(Hashtag.id).where(Hashtag.name == "社群运营"))
    for link, feed_at in db.session.execute(
        select(TopicHashtag, Topic.feed_at).join(Topic, Topic.id == TopicHashtag.topic_id)
    ):
        assert link.feed_at == feed_at

    before = {model.__name__: _count(model) for model in (User, Planet, Membership, Topic)}
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    db.session.expire_all()
    assert {model.__name__: _count(model) for model in (User, Planet, Membership, Topic)} == before

    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "already exist" in refused.output
    db.session.expire_all()
    assert _count(User) == 5

    # The seeded landing pages render and show only essence previews.
    page = client.get("/p/community-lab/about")
    assert page.status_code == 200 and "社群运营实验室" in page.get_data(as_text=True)
    assert "本周闲聊" not in page.get_data(as_text=True)


def test_if_empty_on_an_empty_database_seeds(runner):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _count(Planet) == 3
