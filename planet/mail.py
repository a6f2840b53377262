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
import secrets
import smtplib
import ssl
from collections.abc import Mapping
from email import policy
from email._policybase import Compat32
from email.contentmanager import _encode_text
from email.header import Header
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import formataddr, formatdate, make_msgid, parseaddr

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
) -> Message:
    """A message: text/plain, or multipart/alternative (text + html) when html is given.

    Built with the compat32 classes, whose headers are stored as given instead of being parsed
    by `email.policy` (most of the time of a message built the modern way): the sender's and
    recipients' addresses are formatted by `email.utils`, non-ASCII values become RFC 2047
    encoded words, and each body part gets the transfer encoding `EmailMessage.set_content`
    would choose. Addresses that are not plain ASCII take the `EmailMessage` path."""
    config = current_app.config
    sender = sender or config["MAIL_DEFAULT_SENDER"]
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    for value in (subject, sender, *recipients):
        if "\n" in value or "\r" in value:
            raise ValueError("header values may not contain line breaks")
    for value in (headers or {}).values():
        if "\n" in value or "\r" in value:
            raise ValueError("header values may not contain line breaks")
    if not (sender.isascii() and all(address.isascii() for address in recipients)):
        return _build_email_message(recipients, subject, text_body, html_body, headers, sender)
    fields: dict[str, str | Header] = {
        "From": _formatted_sender(sender),
        "To": ", ".join(recipients),
        "Subject": _header_value(subject),
        "Date": formatdate(localtime=False, usegmt=True),
        "Message-ID": "",
    }
    for name, value in (headers or {}).items():
        fields[_canonical_name(name, fields)] = _header_value(value)
    if not fields["Message-ID"]:
        fields["Message-ID"] = make_msgid(domain=_sender_domain(sender))
    if html_body is None:
        message = Message(PLAIN_HEADERS)
        cte, payload = _encode_text(text_body, "utf-8", None, policy.default)
        body_headers = [
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", cte),
        ]
        # As encoded: `get_payload()` would turn an 8bit payload back into text the
        # generator cannot write.
        message.set_payload(payload)
    else:
        message = Message(PLAIN_HEADERS)
        message.set_payload([_text_part(text_body, "plain"), _text_part(html_body, "html")])
        boundary = "===============" + secrets.token_hex(16) + "=="
        body_headers = [
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ]
    for name, value in fields.items():
        message[name] = value
    for name, value in body_headers:
        message[name] = value
    return message


class _PlainHeaders(Compat32):
    """compat32, but an ASCII header value that fits on one line (RFC 5322's 998 characters)
    is written as it is instead of being refolded through `email.header.Header`."""

    def fold(self, name, value):
        if isinstance(value, str) and value.isascii() and len(name) + len(value) < 996:
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if isinstance(value, str) and value.isascii() and len(name) + len(value) < 996:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


PLAIN_HEADERS = _PlainHeaders()


def _canonical_name(name: str, fields: Mapping[str, object]) -> str:
    """The name a header given twice is stored under (header names are case-insensitive)."""
    lowered = name.lower()
    return next((known for known in fields if known.lower() == lowered), name)


def _header_value(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


@functools.lru_cache(maxsize=64)
def _formatted_sender(sender: str) -> str:
    name, address = parseaddr(sender)
    return formataddr((name, address), charset="utf-8") if address else sender


def _text_part(body: str, subtype: str) -> Message:
    """A text part with the transfer encoding (7bit, 8bit, quoted-printable or base64) and
    the payload that `EmailMessage.set_content` would give it."""
    cte, payload = _encode_text(body, "utf-8", None, policy.default)
    part = Message(PLAIN_HEADERS)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(payload)
    return part


def _build_email_message(
    recipients: list[str],
    subject: str,
    text_body: str,
    html_body: str | None,
    headers: Mapping[str, str] | None,
    sender: str,
) -> EmailMessage:
    """The `email.policy` builder, for addresses beyond ASCII."""
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_sender_domain(sender))
    for name, value in (headers or {}).items():
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
) -> Message:
    """Build and send one email over SMTP (over `connection` when given, else a connection of
    its own). Returns the message that was sent."""
    message = build_message(to, subject, text_body, html_body, headers)
    if connection is None:
        send_message(message)
    else:
        connection.send(message)
    return message


def send_message(message: Message) -> None:
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

    def send(self, message: Message) -> None:
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
