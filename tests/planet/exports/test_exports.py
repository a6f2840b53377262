"""Exports: the owner's whole planet and a person's own data, as a ZIP, built by a job, mailed
as a link, downloadable only by its requester until it expires."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from planet.accounts.models import User
from planet.content.library.models import PlanetFile
from planet.content.models import Answer, Comment, Topic
from planet.exports import services
from planet.exports.models import DataExport, ExportStatus
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Planet
from planet.storage import storage
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("storage_backend")


@pytest.fixture
def demo(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    return {u.email.split("@")[0]: u for u in db.session.scalars(sa.select(User))}


def _png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(output, format="PNG")
    return output.getvalue()


def _download(client, export_id) -> zipfile.ZipFile:
    response = client.get(f"/exports/{export_id}/download")
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _latest(user) -> DataExport:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(DataExport).where(DataExport.user_id == user.id).order_by(DataExport.id.desc())
    )


def test_the_owner_exports_the_whole_planet_and_nothing_else(app, client, demo, smtp_catcher):
    owner = demo["owner"]
    login(client, owner)
    posted = client.post(
        "/p/growth-club/new",
        data={"body": "with a picture", "images": [(io.BytesIO(_png()), "p.png")]},
        content_type="multipart/form-data",
    )
    assert posted.status_code in (302, 303)
    page = client.get("/p/growth-club/")
    assert b"/p/growth-club/export" in page.data  # in the owner's Manage menu
    assert client.post("/p/growth-club/export").status_code in (302, 303)
    export = _latest(owner)
    assert export.status is ExportStatus.READY
    mail = smtp_catcher.to(owner.email)[-1]
    assert f"/exports/{export.id}/download" in smtp_catcher.text(mail)

    archive = _download(client, export.id)
    names = set(archive.namelist())
    assert {"README.md", "planet.json", "members.json", "payments.json", "ledger.json"} <= names
    text = "\n".join(archive.read(n).decode() for n in names if n.endswith((".md", ".json")))
    planet = db.session.scalar(sa.select(Planet).where(Planet.slug == "growth-club"))
    topics = db.session.scalars(
        sa.select(Topic).where(Topic.planet_id == planet.id, Topic.deleted_at.is_(None))
    ).all()
    for topic in topics:
        assert f"topics/{topic.id}.md" in names and f"topics/{topic.id}.json" in names
        assert topic.body in archive.read(f"topics/{topic.id}.md").decode()
    answers = db.session.scalars(
        sa.select(Answer).join(Topic).where(Topic.planet_id == planet.id)
    ).all()
    comments = db.session.scalars(
        sa.select(Comment).where(Comment.planet_id == planet.id, Comment.deleted_at.is_(None))
    ).all()
    assert answers and comments
    assert all(a.body in text for a in answers) and all(c.body in text for c in comments)
    others = db.session.scalars(sa.select(Topic).where(Topic.planet_id != planet.id)).all()
    assert not any(f"topics/{t.id}.json" in names for t in others)
    assert not any(json.loads(archive.read(f"topics/{t.id}.json"))["planet_id"] != planet.id
                   for t in topics)  # fmt: skip
    assert "@demo.planet" not in text  # no member's e-mail address
    members = json.loads(archive.read("members.json"))
    assert {m["user_id"] for m in members} >= {u.id for u in demo.values() if u != demo["visitor"]}
    files = [n for n in names if n.startswith("files/") and n != "files.json"]
    assert len(files) == 1 and archive.read(files[0]) == _png()
    library = json.loads(archive.read("library.json"))
    rows = db.session.scalars(sa.select(PlanetFile).where(PlanetFile.planet_id == planet.id)).all()
    assert rows and sorted(e["id"] for e in library) == sorted(r.id for r in rows)
    for row in rows:
        [entry] = [e for e in library if e["id"] == row.id]
        stored = storage().read(f"library/{planet.id}/{row.key}")
        assert archive.read(entry["path"]) == stored and entry["name"] == row.name
    assert len([n for n in names if n.startswith("library/")]) == len(rows)


def test_a_member_downloads_their_own_data(app, client, demo):
    member = demo["member"]
    login(client, member)
    assert client.post("/me/export").status_code in (302, 303)
    archive = _download(client, _latest(member).id)
    account = json.loads(archive.read("account.json"))
    assert account["email"] == member.email
    text = "\n".join(archive.read(n).decode() for n in archive.namelist())
    for email in (u.email for u in demo.values() if u != member):
        assert email not in text
    mine = db.session.scalars(sa.select(Topic).where(Topic.author_id == member.id)).all()
    assert mine and all(t.body in text for t in mine)
    theirs = db.session.scalars(sa.select(Topic).where(Topic.author_id != member.id)).all()
    assert not any(f"/topics/{t.id}.json" in "\n".join(archive.namelist()) for t in theirs)
    comments = json.loads(archive.read("comments.json"))
    assert comments and {c["id"] for c in comments} == {
        c.id
        for c in db.session.scalars(
            sa.select(Comment).where(Comment.author_id == member.id, Comment.deleted_at.is_(None))
        )
    }


def test_only_the_requester_downloads_and_only_until_it_expires(app, client, demo):
    owner, admin = demo["owner"], demo["admin"]
    login(client, admin)
    assert client.post("/p/growth-club/export").status_code == 403  # admins have no money
    login(client, owner)
    client.post("/p/growth-club/export")
    export = _latest(owner)
    login(client, admin)
    assert client.get(f"/exports/{export.id}/download").status_code == 404
    assert client.get("/exports/999999/download").status_code == 404
    login(client, owner)
    services.build(export.id)  # a retried job changes nothing
    assert _latest(owner).storage_key == export.storage_key
    key = export.storage_key
    assert services.expire_due(utcnow() + timedelta(days=8)) == {"expired": 1}
    assert not storage().exists(key)
    assert client.get(f"/exports/{export.id}/download").status_code == 410
    assert services.expire_due(utcnow() + timedelta(days=9)) == {"expired": 0}


def test_one_export_at_a_time(app, client, demo):
    owner = demo["owner"]
    login(client, owner)
    export = DataExport(kind="personal", user_id=owner.id)  # queued, its job not run yet
    db.session.add(export)
    db.session.commit()
    again = client.post("/me/export", follow_redirects=True)
    assert b"already being prepared" in again.data or "正在准备".encode() in again.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DataExport)) == 1
    assert export.status is ExportStatus.QUEUED


def test_an_exports_statements_do_not_grow_with_its_topics(app, make, query_counter):
    """Answers, comments and names load per page of topics, not per topic."""
    from planet.exports.sections import Scope
    from planet.exports.services import write_zip

    owner, member = make.user(), make.user()
    planet = make.planet(owner, slug="counted")
    make.member(planet, member)

    def add(n):
        for index in range(n):
            topic = make.topic(planet, owner, f"post {index}")
            make.comment(topic, member, f"comment {index}")
            make.question(planet, member, owner, f"question {index}?", answer=f"answer {index}")

    def statements() -> int:
        db.session.expire_all()
        with query_counter() as counter:
            write_zip(Scope(planet_id=planet.id, viewer_id=owner.id), io.BytesIO())
        return counter.count

    add(2)
    few = statements()
    add(12)
    assert statements() == few
