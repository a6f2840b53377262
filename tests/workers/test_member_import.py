"""Importing 10,000 existing members on a real `celery worker` (Redis, PostgreSQL, SMTP),
SIGKILLed midway and restarted: every person is invited exactly once, a re-import changes
nothing, and a link used twice makes one membership."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from planet.extensions import db
from planet.members.models import ImportStatus, Invitation, MemberImport
from planet.models import utcnow
from planet.notifications.models import Outbox
from planet.planets.models import Membership, MembershipSource
from tests.conftest import login
from tests.workers.test_real_worker import jobs_done, kill_mid_mail, mail_done, send_tick

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PEOPLE = 10_000
PAID_UNTIL = (date.today() + timedelta(days=300)).isoformat()


@pytest.fixture
def app_config(worker_app_config):
    return worker_app_config


def the_file(people: range) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "邮箱", "到期日", "角色"])
    for n in people:
        writer.writerow([f"成员{n}", f"person{n:05d}@example.com", PAID_UNTIL, "成员"])
    return out.getvalue().encode("gb18030")


def upload(client, data: bytes) -> int:
    response = client.post(
        "/p/moon/members/import",
        data={"file": (io.BytesIO(data), "members.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_import_of_10000_killed_midway_invites_everyone_once(
    app, client, make, real_worker, worker_smtp
):
    owner = make.user(email="olga@example.com", name="Olga", locale="zh")
    make.planet(owner, slug="moon", name="月亮")
    db.session.commit()
    login(client, owner)
    data = the_file(range(PEOPLE))
    import_id = upload(client, data)
    assert count(Invitation) == 0

    worker = real_worker()
    # Hold the 1,200th invitation mail (the third chunk of 500) and SIGKILL the worker there.
    kill_mid_mail(
        worker,
        worker_smtp,
        1200,
        lambda: client.post(f"/p/moon/members/import/{import_id}/start"),
        timeout=180,
    )
    db.session.expire_all()
    stopped_at = db.session.get(MemberImport, import_id).processed_rows
    assert 0 < stopped_at < PEOPLE
    page = client.get(f"/p/moon/members/import/{import_id}").get_data(as_text=True)
    assert f"{stopped_at} of {PEOPLE}" in page or f"{stopped_at} / {PEOPLE}" in page

    worker.start()  # the killed job comes back after the visibility timeout; the rest follows
    worker.wait_idle(timeout=600, also=lambda: _import_done(import_id, with_mail=False))
    # The mails the killed worker did not send wait for the relay (every minute on beat).
    send_tick("relay", utcnow() + timedelta(minutes=10), queue="default")
    worker_smtp.wait_for(PEOPLE, timeout=600)
    worker.wait_idle(timeout=120, also=mail_done)

    member_import = db.session.get(MemberImport, import_id)
    assert (member_import.invited_count, member_import.already_invited_count) == (PEOPLE, 0)
    assert count(Invitation) == PEOPLE
    assert count(Outbox) == PEOPLE
    recipients = Counter(m["To"] for m in worker_smtp.messages)
    assert len(worker_smtp.messages) == PEOPLE and len(recipients) == PEOPLE
    assert worker_smtp.messages[0]["Subject"] == "Olga 邀请你加入月亮"

    # The same file again is the same import; the same people in another file: nobody new.
    assert upload(client, data) == import_id
    again = upload(client, the_file(reversed(range(PEOPLE))))
    client.post(f"/p/moon/members/import/{again}/start")
    worker.wait_idle(timeout=300, also=lambda: _import_done(again))
    second = db.session.get(MemberImport, again)
    assert (second.invited_count, second.already_invited_count) == (0, PEOPLE)
    assert count(Invitation) == PEOPLE and count(Outbox) == PEOPLE

    # One invited person opens their link twice: one membership.
    [mail] = [m for m in worker_smtp.messages if m["To"] == "person00042@example.com"]
    [link] = [u for u in worker_smtp.links(mail) if "/invitation/" in u]
    person = make.user(email="person00042@example.com")
    db.session.commit()
    invited = app.test_client()
    login(invited, person)
    assert invited.post(urlsplit(link).path).status_code == 302
    assert invited.post(urlsplit(link).path).status_code == 409
    memberships = db.session.scalars(
        select(Membership).where(Membership.user_id == person.id)
    ).all()
    assert len(memberships) == 1 and memberships[0].source is MembershipSource.IMPORT
    assert memberships[0].expires_at.date() >= date.fromisoformat(PAID_UNTIL)


def _import_done(import_id: int, with_mail: bool = True) -> bool:
    db.session.expire_all()
    done = db.session.get(MemberImport, import_id).status is ImportStatus.DONE
    return done and (mail_done() if with_mail else jobs_done())
