"""Outgoing mail over SMTP (a real server in production, a local catcher in development/tests).

    with in_recipient_language(user):                 # every message in its reader's language
        subject, text = _("Subject"), render_template(...)
    send_email("ada@example.com", "Subject", "plain text", html_body="<p>html</p>")
    with MailConnection() as connection:            # many messages over one connection
        send_email(to, subject, text, connection=connection)

Configuration: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL (implicit TLS,
e.g. port 465), MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER, MAIL_TIMEOUT (seconds).
Errors (refused connection, rejected recipient) raise, so a task runner can retry; the inline
job dispatcher logs them without failing the request that queued the mail.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import ssl
from collections.abc import Mapping
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app
from flask_babel import force_locale

log = logging.getLogger(__name__)


def recipient_language(user, fallback: str | None = None) -> str:
    """The language a mail to `user` is written in: their saved choice, else `fallback` (say,
    the browser's language of the request that caused it), else the platform's default."""
    languages = current_app.config["LANGUAGES"]
    for choice in (getattr(user, "locale", None), fallback):
        if choice in languages:
            return choice
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def in_recipient_language(user, fallback: str | None = None):
    """Render one recipient's message inside this: every mail path uses it (RELIABILITY 28).

    with in_recipient_language(user):
        subject, text, html = ...
    """
    return force_locale(recipient_language(user, fallback))


class _HeaderClasses(HeaderRegistry):
    """The standard registry, but each header class is built once: the stock one builds a new
    class for every header of every message (a third of the time of building a message)."""

    @functools.cache  # noqa: B019 - one registry for the process's lifetime
    def __getitem__(self, name: str):
        return super().__getitem__(name.lower())


POLICY = policy.default.clone(header_factory=_HeaderClasses())


def build_message(
    to: str | list[str],
    subject: str,
    text_body: str,
    html_body: str | None = None,
    headers: Mapping[str, str] | None = None,
    sender: str | None = None,
) -> EmailMessage:
    """An EmailMessage: text/plain, or multipart/alternative (text + html) when html is given."""
    config = current_app.config
    sender = sender or config["MAIL_DEFAULT_SENDER"]
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    for value in (subject, sender, *recipients):
        if "\n" in value or "\r" in value:
            raise ValueError("header values may not contain line breaks")
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_sender_domain(sender))
    for name, value in (headers or {}).items():
        if "\n" in value or "\r" in value:
            raise ValueError("header values may not contain line breaks")
        if name in message:
            message.replace_header(name, value)
        else:
            message[name] = value
    message.set_content(text_body)
    if html_body is not None:
        message.add_alternative(html_body, subtype="html")
    return message


def send_email(
    to: str | list[str],
    subject: str,
    text_body: str,
    html_body: str | None = None,
    headers: Mapping[str, str] | None = None,
    connection: MailConnection | None = None,
) -> EmailMessage:
    """Build and send one email over SMTP (over `connection` when given, else a connection of
    its own). Returns the message that was sent."""
    message = build_message(to, subject, text_body, html_body, headers)
    if connection is None:
        send_message(message)
    else:
        connection.send(message)
    return message


def send_message(message: EmailMessage) -> None:
    with MailConnection() as connection:
        connection.send(message)


class MailConnection:
    """One SMTP connection for many messages (a batch of outbox rows): opened on the first
    send, closed and reopened on the next send after any error, closed on exit.

        with MailConnection() as connection:
            for message in messages:
                connection.send(message)
    """

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> MailConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = _connect()
        try:
            self._smtp.send_message(message)
        except Exception:
            self.close()  # the conversation's state is unknown: start afresh next time
            raise
        # Never the subject or body (they may quote what a member wrote).
        log.info("sent mail %s", message["Message-ID"] or "")

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT"])
    if config["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except Exception:
        smtp.close()
        raise
    return smtp


@functools.lru_cache(maxsize=64)  # parsing the address costs more than the rest of a header
def _sender_domain(sender: str) -> str:
    address = parseaddr(sender)[1]
    try:
        return Address(addr_spec=address).domain or "planet.local"
    except (ValueError, IndexError):
        return "planet.local"
