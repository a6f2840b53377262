"""Hostile numbers and dates are a 4xx with nothing written, never a 500 (RELIABILITY 25):
ids beyond 64 bits in forms and URLs, NaN and infinities, the year 9999."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from payments.models import Coupon
from planet.content.models import Comment, Topic
from planet.engagement.checkins.models import Challenge
from planet.extensions import db

ROOT = Path(__file__).resolve().parents[2]
BOUNDED = {"IntegerField", "DecimalField", "DateField", "DateTimeLocalField", "DateTimeField"}
HUGE = str(2**70)


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_no_form_takes_an_unbounded_number_or_date():
    """Forms import integer, decimal, date and date-time fields from planet.web.forms."""
    offenders = []
    for path in [*ROOT.joinpath("planet").rglob("*.py"), *ROOT.joinpath("payments").rglob("*.py")]:
        if path.name == "forms.py" and path.parent.name == "web":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wtforms"):
                offenders += [f"{path}: {a.name}" for a in node.names if a.name in BOUNDED]
    assert offenders == []


@pytest.fixture
def world(make, login_as):
    owner = make.user()
    planet = make.planet(owner, slug="hostile", price_amount=9900)
    topic = make.topic(planet, owner)
    login_as(owner)
    return planet, topic


@pytest.mark.parametrize("parent", [HUGE, str(-(2**70)), "1e309", "NaN"])
def test_comment_parent_beyond_64_bits(client, world, parent):
    planet, topic = world
    before = _count(Comment)
    response = client.post(
        f"/p/{planet.slug}/t/{topic.id}/comments", data={"body": "hi", "parent_id": parent}
    )
    assert 400 <= response.status_code < 500
    assert _count(Comment) == before


@pytest.mark.parametrize("addressee", [HUGE, "-1", "0"])
def test_question_addressee_beyond_64_bits(client, world, make, addressee):
    planet, _ = world
    asker = make.user()
    make.member(planet, asker)
    from tests.conftest import login

    login(client, asker)
    before = _count(Topic)
    response = client.post(f"/p/{planet.slug}/ask", data={"addressee": addressee, "body": "?"})
    assert response.status_code < 500
    assert _count(Topic) == before


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "1969-12-31"])
def test_challenge_dates_out_of_range(client, world, start):
    planet, _ = world
    response = client.post(
        f"/p/{planet.slug}/challenges/new",
        data={"title": "Run", "start_date": start, "length_days": "21"},
    )
    assert 400 <= response.status_code < 500
    assert _count(Challenge) == 0


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e309", "1e30", "sNaN"])
def test_coupon_values_that_are_not_ordinary_numbers(client, world, value):
    planet, _ = world
    response = client.post(
        f"/p/{planet.slug}/money",
        data={"form": "coupon", "coupon-kind": "fixed", "coupon-value": value},
    )
    assert 400 <= response.status_code < 500
    assert _count(Coupon) == 0


@pytest.mark.parametrize("expires", ["9999-12-31T23:59", "0001-01-01T00:00", "1969-12-31T23:59"])
def test_coupon_expiry_beyond_sane_dates(client, world, expires):
    planet, _ = world
    response = client.post(
        f"/p/{planet.slug}/money",
        data={
            "form": "coupon",
            "coupon-kind": "fixed",
            "coupon-value": "5",
            "coupon-expires_at": expires,
        },
    )
    assert 400 <= response.status_code < 500
    assert _count(Coupon) == 0


@pytest.mark.parametrize("value", [str(10**30), HUGE])
def test_point_values_out_of_range(client, world, value):
    planet, _ = world
    response = client.post(f"/p/{planet.slug}/points/settings", data={"topic": value})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "path",
    [
        "/p/hostile/t/{huge}",
        "/p/hostile/challenges/{huge}",
        "/payments/{huge}/receipt",
        "/p/hostile/members/{huge}/remove",
    ],
)
def test_url_ids_beyond_64_bits_are_404(client, world, path):
    url = path.format(huge=HUGE)
    response = client.post(url) if url.endswith("remove") else client.get(url)
    assert response.status_code == 404
