"""The development mail catcher (aiosmtpd -> .eml files) and the dev-only mail pages."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from planet.devtools import mailcatcher
from planet.mail import send_email
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the mail catcher did not start")


def test_command_line_catcher_stores_eml_files(app, tmp_path):
    port = _free_port()
    folder = tmp_path / "mail"
    process = subprocess.Popen(
        [sys.executable, "-m", "planet.devtools.mailcatcher", "--port", str(port),
         "--dir", str(folder)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_for_port(port, process)
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        send_email("ada@example.com", "Caught 你好", "text", "<p>html</p>")
        files = list(folder.glob("*.eml"))
        assert len(files) == 1
        message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
        assert message["Subject"] == "Caught 你好"
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0  # SIGTERM stops it cleanly


def test_in_process_catcher_keeps_messages(tmp_path, app):
    port = _free_port()
    controller, handler = mailcatcher.start(tmp_path / "mail", port=port)
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        send_email("ada@example.com", "Hi", "body")
    finally:
        controller.stop()
    assert [m["Subject"] for m in handler.messages] == ["Hi"]
    assert mailcatcher.eml_name().endswith(".eml")


def test_dev_mail_pages_only_in_development(database_url, tmp_path, app):
    # The app under test (TESTING) has no dev pages.
    assert "devmail" not in app.blueprints
    assert app.test_client().get("/_dev/mail/").status_code == 404
    # Production never has them either.
    production = make_test_app(
        database_url, tmp_path, TESTING=False, PLANET_ENV="production",
        SECRET_KEY="x" * 40, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1/none",
    )  # fmt: skip
    assert "devmail" not in production.blueprints


def test_dev_mail_pages_list_and_show_caught_mail(database_url, tmp_path):
    folder = tmp_path / "mail"
    dev = make_test_app(
        database_url, tmp_path, TESTING=False, PLANET_ENV="development",
        MAIL_CATCHER_DIR=str(folder),
    )  # fmt: skip
    assert "devmail" in dev.blueprints
    port = _free_port()
    controller, _handler = mailcatcher.start(folder, port=port)
    try:
        dev.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        with dev.app_context():
            send_email(
                "ada@example.com", "Confirm <b>this</b>", "Open https://x.test/a", "<p>Hi</p>"
            )
    finally:
        controller.stop()
    client = dev.test_client()
    listing = client.get("/_dev/mail/")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "Confirm &lt;b&gt;this&lt;/b&gt;" in page
    name = next(folder.glob("*.eml")).name
    shown = client.get(f"/_dev/mail/{name}").get_data(as_text=True)
    assert "ada@example.com" in shown and 'href="https://x.test/a"' in shown
    html = client.get(f"/_dev/mail/{name}/html")
    assert html.status_code == 200 and "sandbox" in html.headers["Content-Security-Policy"]
    assert client.get("/_dev/mail/..%2f..%2fetc%2fpasswd").status_code == 404
    assert client.get("/_dev/mail/20250101T000000.000000Z-00000000.eml").status_code == 404
