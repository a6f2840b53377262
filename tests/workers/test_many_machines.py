"""Two web processes and two Celery workers share nothing local.

Two gunicorn servers (web A and web B, on their own ports) and two `celery worker` processes run
against one PostgreSQL database, one Redis and one S3 bucket (the local moto server), as several
machines would behind a load balancer. What one web process received, the other serves; what one
deferred, either worker runs once; rate limits count across both.
"""

from __future__ import annotations

import io
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser

import pytest
import requests
from PIL import Image

from planet.content.models import Attachment, Topic
from planet.extensions import db
from planet.notifications.models import Notification
from tests.factories import PASSWORD
from tests.plugins.celery import ROOT, _own_group_and_die_with_parent, worker_env
from tests.plugins.s3 import new_bucket
from workers.models import PendingJob

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def shared_bucket(s3_endpoint):
    return new_bucket(s3_endpoint)


@pytest.fixture
def app_config(worker_app_config, shared_bucket):
    return {**worker_app_config, **shared_bucket}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebProcess:
    """`gunicorn wsgi:app` on a free port, in its own process group."""

    def __init__(self, name: str, env: dict, log_dir):
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"web-{name}.log"
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}"]
        argv += ["--workers", "1", "--timeout", "60", "wsgi:app"]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_own_group_and_die_with_parent,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"web {name} exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=10).status_code < 600:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise AssertionError(f"web {name} did not answer: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process.poll() is None:
            import os

            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class FormReader(HTMLParser):
    """The fields of the forms on a page: {action: {name: value}} (inputs, selects, textareas)."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._action = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._action = attrs.get("action", "")
            self.forms.setdefault(self._action, {})
        elif self._action is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "file"):
                self.forms[self._action][attrs["name"]] = attrs.get("value", "y")
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select:
            fields = self.forms[self._action]
            if "selected" in attrs or self._select not in fields:
                fields[self._select] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.forms[self._action][self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.forms[self._action][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._action = None


def form_on(session, url: str, action_part: str) -> dict[str, str]:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    reader = FormReader()
    reader.feed(page.text)
    action = next(a for a in reader.forms if action_part in a)
    return dict(reader.forms[action])


def log_in(session, web: WebProcess, email: str, password: str = PASSWORD):
    fields = form_on(session, web.url + "/accounts/login", "/accounts/login")
    fields.update(email=email, password=password)
    return session.post(web.url + "/accounts/login", data=fields, allow_redirects=False)


def _png(color: str) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(output, format="PNG")
    return output.getvalue()


def test_two_web_and_two_worker_processes_share_nothing_local(
    app, make, real_worker, worker_broker_url, worker_smtp, shared_bucket, tmp_path
):
    owner = make.user(email="owner@many.test")
    planet = make.planet(owner, slug="many", name="Many Machines")
    readers = [make.user() for _ in range(3)]
    for reader in readers:
        make.member(planet, reader)
    env = worker_env(
        app,
        worker_broker_url,
        worker_smtp.port,
        tmp_path / "web-var",
        **shared_bucket,
        WEB_CONCURRENCY=2,
        RATELIMIT_ENABLED=1,
        RATELIMIT_STORAGE_URI=worker_broker_url,
        RATELIMIT_KEY_PREFIX=f"many-{uuid.uuid4().hex[:8]}",  # apart from concurrent tests
        LOGIN_RATE_LIMIT="5 per minute",
    )
    workers = [real_worker(), real_worker()]
    web_a = WebProcess("a", env, tmp_path)
    web_b = WebProcess("b", env, tmp_path)
    try:
        browser = requests.Session()  # one cookie jar: a load balancer sends it to either
        assert log_in(browser, web_a, owner.email).status_code in (302, 303)

        # A topic with an image, posted through A, is read with its image through B.
        image = _png("teal")
        fields = form_on(browser, f"{web_a.url}/p/many/new", "/new")
        fields.update(title="", body="Posted on machine A", announce="y")
        posted = browser.post(
            f"{web_a.url}/p/many/new",
            data=fields,
            files={"images": ("a.png", image, "image/png")},
            allow_redirects=False,
        )
        assert posted.status_code in (302, 303), posted.text[:1000]
        db.session.rollback()
        topic = db.session.scalar(db.select(Topic).where(Topic.planet_id == planet.id))
        page_b = browser.get(f"{web_b.url}/p/many/t/{topic.id}", timeout=10)
        assert "Posted on machine A" in page_b.text
        image_urls = set(re.findall(r'src="(/p/many/files/[^"]+)"', page_b.text))
        assert len(image_urls) == 1, image_urls
        served = browser.get(web_b.url + image_urls.pop(), timeout=10)
        assert served.status_code == 200
        assert served.content == image
        assert not list((tmp_path / "web-var").rglob("attachments/*/*"))  # not on any disk

        # The jobs the announcement deferred on A ran once, on one worker or the other.
        def every_job_done():
            db.session.rollback()
            return db.session.scalar(
                db.select(db.func.count()).select_from(PendingJob)
                .where(PendingJob.done_at.is_(None))
            ) == 0  # fmt: skip

        workers[0].wait_idle(also=every_job_done)
        workers[1].wait_idle(also=every_job_done)
        jobs = db.session.scalars(db.select(PendingJob)).all()
        assert "content.announcement" in {job.name for job in jobs}
        assert {job.attempts for job in jobs} == {1}
        told = db.session.execute(
            db.select(Notification.user_id, db.func.count())
            .where(Notification.user_id.in_([reader.id for reader in readers]))
            .group_by(Notification.user_id)
        ).all()
        assert sorted(count for _, count in told) == [1, 1, 1]
        worker_smtp.wait_for(len(readers), timeout=30)
        assert [len(worker_smtp.to(reader.email)) for reader in readers] == [1, 1, 1]

        # A setting changed on A shows on B at once (no per-process cache keeps the old name).
        assert "Many Machines" in browser.get(f"{web_b.url}/p/many", timeout=10).text
        settings = form_on(browser, f"{web_a.url}/p/many/settings", "/settings")
        settings["name"] = "Renamed On A"
        saved = browser.post(f"{web_a.url}/p/many/settings", data=settings, allow_redirects=False)
        assert saved.status_code in (302, 303), saved.text[:1000]
        for path in ("/p/many", f"/p/many/t/{topic.id}"):
            page = browser.get(web_b.url + path, timeout=10).text
            assert "Renamed On A" in page
            assert "Many Machines" not in page

        # Rate limits are counted in Redis: attempts on A and on B add up (5 a minute from one
        # address: the owner's sign-in and four failures pass; each process saw at most three).
        stranger = requests.Session()
        answers = [
            log_in(stranger, web, "nobody@many.test", "wrong-password").status_code
            for web in (web_a, web_b, web_a, web_b, web_b)
        ]
        assert answers[:4] == [401, 401, 401, 401]
        assert answers[4] == 429

        # Killing A in the middle of an upload leaves no row behind (and B still serves).
        topics_before = db.session.scalar(db.select(db.func.count()).select_from(Topic))
        files_before = db.session.scalar(db.select(db.func.count()).select_from(Attachment))
        fields = form_on(browser, f"{web_a.url}/p/many/new", "/new")
        boundary = "planetboundary"
        body = (
            "".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                for name, value in {**fields, "body": "never finished"}.items()
            ).encode()
            + (
                f'--{boundary}\r\nContent-Disposition: form-data; name="images"; '
                f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
            ).encode()
        )
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        head = (
            f"POST /p/many/new HTTP/1.1\r\nHost: 127.0.0.1:{web_a.port}\r\n"
            f"Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body) + 2_000_000}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", web_a.port)) as upload:
            upload.sendall(head + body + _png("red") + b"\0" * 100_000)
            web_a.kill()
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count()).select_from(Topic)) == topics_before
        assert db.session.scalar(db.select(db.func.count()).select_from(Attachment)) == files_before
        assert browser.get(f"{web_b.url}/p/many/t/{topic.id}", timeout=10).status_code == 200
    finally:
        web_a.kill()
        web_b.kill()
        for worker in workers:
            worker.stop()
