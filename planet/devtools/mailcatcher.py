"""A local SMTP catcher for development: every message it receives is stored as an .eml file.

    python -m planet.devtools.mailcatcher --port 8025 --dir var/mail

Point MAIL_SERVER/MAIL_PORT at it (the development defaults already do). In development the
caught mails are listed at /_dev/mail (planet.devtools.views). Never run it in production: it
accepts mail from anyone who can reach the port and delivers nothing.

Needs aiosmtpd (requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import signal
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("planet.mailcatcher")


def eml_name() -> str:
    """Sortable by arrival: 20250101T120000.123456Z-<random>.eml"""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{stamp}-{secrets.token_hex(4)}.eml"


class CatchingHandler:
    """An aiosmtpd handler that keeps each message: in memory (`messages`) and, when a
    directory is given, as an .eml file there."""

    def __init__(self, directory: Path | str | None = None):
        self.directory = Path(directory) if directory else None
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if self.directory is not None:
            path = self.directory / eml_name()
            temporary = path.with_suffix(".part")
            temporary.write_bytes(raw)
            temporary.replace(path)  # readers never see half a file
        message = message_from_bytes(raw, policy=policy.default)
        with self.arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.arrived.notify_all()
        log.info("caught %r for %s", message["Subject"], ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start(
    directory: Path | str | None, host: str = "127.0.0.1", port: int = 8025
) -> tuple[Controller, CatchingHandler]:
    """Start a catcher in a background thread; stop it with `controller.stop()`."""
    handler = CatchingHandler(directory)
    controller = Controller(handler, hostname=host, port=port, decode_data=False)
    controller.start()
    return controller, handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Catch outgoing mail into .eml files.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="var/mail", help="where to store the .eml files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    controller, _handler = start(args.dir, args.host, args.port)
    log.info("catching mail on %s:%s into %s", args.host, args.port, Path(args.dir).resolve())
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
