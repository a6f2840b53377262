"""Shared mail fixture: a real SMTP server (aiosmtpd) on a free local port.

Use it in any test that sends mail (accounts links, digests, notifications):

    def test_digest(app, smtp_catcher):
        send_digests()                      # planet.mail.send_email over SMTP
        mail = smtp_catcher.last            # an email.message.EmailMessage (policy=default)
        assert mail["To"] == "ada@example.com"
        assert "Topic" in smtp_catcher.text(mail)
"""

from __future__ import annotations

import re
import socket

import pytest

from planet.devtools.mailcatcher import start

URL = re.compile(r"https?://[^\s<>\"']+")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpCatcher:
    """What the `smtp_catcher` fixture yields. Messages arrive synchronously for inline jobs
    (the SMTP conversation ends only after the catcher stored the message)."""

    def __init__(self, handler, host: str, port: int, directory):
        self._handler = handler
        self.host = host
        self.port = port
        self.directory = directory

    @property
    def messages(self):
        """Every message received so far, oldest first (parsed EmailMessage objects)."""
        return list(self._handler.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        """(MAIL FROM, [RCPT TO, ...]) of each message, in the same order."""
        return list(self._handler.envelopes)

    @property
    def last(self):
        """The newest message; fails the test when nothing arrived."""
        assert self._handler.messages, "no mail was sent"
        return self._handler.messages[-1]

    def to(self, address: str):
        """Messages whose envelope recipients include `address` (case-insensitive)."""
        wanted = address.lower()
        return [
            message
            for message, (_sender, recipients) in zip(
                self._handler.messages, self._handler.envelopes, strict=True
            )
            if wanted in (r.lower() for r in recipients)
        ]

    def clear(self) -> None:
        with self._handler.arrived:
            self._handler.messages.clear()
            self._handler.envelopes.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        """Block until at least `count` messages arrived (for mail sent by another thread or
        process, e.g. a real worker); returns the messages, fails the test on timeout."""
        with self._handler.arrived:
            arrived = self._handler.arrived.wait_for(
                lambda: len(self._handler.messages) >= count, timeout
            )
        assert arrived, f"expected {count} mails, got {len(self._handler.messages)}"
        return self.messages

    @staticmethod
    def text(message) -> str:
        """The text/plain body of a message."""
        part = message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @staticmethod
    def html(message) -> str:
        """The text/html body of a message ("" when it has none)."""
        part = message.get_body(preferencelist=("html",))
        if part is None or part.get_content_subtype() != "html":
            return ""
        return part.get_content()

    @classmethod
    def links(cls, message) -> list[str]:
        """The URLs in the text body, in order."""
        return URL.findall(cls.text(message))


@pytest.fixture
def smtp_catcher(app, tmp_path):
    """A real SMTP server for this test, and the app pointed at it.

    Starts aiosmtpd on a free 127.0.0.1 port in a background thread, sets the app's
    MAIL_SERVER/MAIL_PORT (no TLS, no login) to it, and yields a `SmtpCatcher`:

    - `.messages`: received messages, oldest first, as `email.message.EmailMessage`
      (parsed with `email.policy.default`, so `msg["Subject"]` is decoded and
      `msg.get_body(("plain",))` works); `.last` is the newest one;
    - `.envelopes`: (mail_from, rcpt_tos) per message; `.to(address)` filters by recipient;
    - `.text(msg)`, `.html(msg)`, `.links(msg)`: the plain body, the HTML body, URLs in the text;
    - `.wait_for(n)`: wait for mail sent from another thread/process; `.clear()`;
    - `.directory`: where each message is also stored as an .eml file (like the dev catcher).

    Mail sent by inline jobs (planet.jobs handlers run after the request commits) has already
    arrived when the test client's response returns.
    """
    directory = tmp_path / "caught-mail"
    port = _free_port()
    controller, handler = start(directory, "127.0.0.1", port)
    previous = {
        key: app.config.get(key)
        for key in ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME")
    }
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_USERNAME="",
    )
    try:
        yield SmtpCatcher(handler, "127.0.0.1", port, directory)
    finally:
        controller.stop()
        app.config.update(previous)
