"""Homework: flows, bad input, access."""

from datetime import timedelta

import pytest

from planet.engagement.homework import services as homework
from planet.engagement.homework.models import Submission
from planet.engagement.points import services as points
from planet.engagement.points.models import PeriodKind
from planet.errors import ServiceError
from planet.extensions import db
from planet.models import utcnow


def _assignment(world, due_in=timedelta(days=2), late_days=0):
    item = homework.post_assignment(
        world.planet, world.owner, "Essay", "Write", utcnow() + due_in, late_days
    )
    db.session.commit()
    return item


def test_homework_flow_grading_points_and_privacy(world, make, as_user):
    item = _assignment(world)
    client = as_user(world.member)
    assert (
        client.post(f"/p/alpha/homework/{item.id}/submit", data={"body": "my essay"}).status_code
        == 302
    )
    again = client.post(f"/p/alpha/homework/{item.id}/submit", data={"body": "again"})
    assert again.status_code == 409
    submission = db.session.scalar(db.select(Submission))
    owner = as_user(world.owner)
    assert (
        owner.post(
            f"/p/alpha/homework/submissions/{submission.id}/grade", data={"score": "150"}
        ).status_code
        == 400
    )
    assert (
        owner.post(
            f"/p/alpha/homework/submissions/{submission.id}/grade",
            data={"score": "90", "comment": "Great", "featured": "y"},
        ).status_code
        == 302
    )
    assert points.member_total(world.planet, world.member.id, PeriodKind.ALL, utcnow()) == 9
    mine = as_user(world.member).get("/p/alpha/homework").get_data(as_text=True)
    assert "Great" in mine and "90" in mine
    peer = make.user(name="Peer")
    make.member(world.planet, peer)
    # Another member sees featured work but never someone's grade comment.
    assert "Great" not in as_user(peer).get("/p/alpha/homework").get_data(as_text=True)
    assert (
        as_user(world.member)
        .post(f"/p/alpha/homework/submissions/{submission.id}/grade", data={"score": "100"})
        .status_code
        == 403
    )
    beta = make.planet(world.outsider, slug="beta")
    assert as_user(world.outsider).get(f"/p/{beta.slug}/homework/{item.id}").status_code == 404


def test_late_hand_in_marked_and_after_close_refused(world):
    item = _assignment(world, late_days=2)
    late = homework.hand_in(
        world.planet, item, world.member, "late", now=item.due_at + timedelta(hours=1)
    )
    assert late.is_late
    with pytest.raises(ServiceError, match="closed"):
        homework.hand_in(
            world.planet, item, world.owner, "too late", now=item.closes_at + timedelta(seconds=1)
        )
