"""/_dev/mail: the mails caught by the development SMTP catcher (development only)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("devmail", __name__, url_prefix="/_dev/mail")
NAME = re.compile(r"^[0-9TZ.]+-[0-9a-f]{8}\.eml$")
LIST_LIMIT = 200


def _mail_dir() -> Path:
    return Path(current_app.config["MAIL_CATCHER_DIR"])


def _read(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    return part.get_content()


@bp.get("/")
def index():
    folder = _mail_dir()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:LIST_LIMIT] if folder.is_dir() else []
    mails = []
    for path in paths:
        message = _read(path)
        mails.append(
            {
                "name": path.name,
                "subject": message["Subject"] or "",
                "to": message["To"] or "",
                "date": message["Date"] or "",
            }
        )
    return render_template("devtools/mail_list.html", mails=mails, folder=folder)


def _load(name: str) -> EmailMessage:
    if not NAME.match(name):
        abort(404)
    path = _mail_dir() / name
    if not path.is_file():
        abort(404)
    return _read(path)


@bp.get("/<name>")
def show(name):
    message = _load(name)
    return render_template(
        "devtools/mail_show.html",
        name=name,
        message=message,
        headers=[(key, str(value)) for key, value in message.items()],
        text=_body(message, "plain"),
        has_html=_body(message, "html") is not None,
    )


@bp.get("/<name>/html")
def html(name):
    """The HTML part alone, sandboxed (no scripts, no same-origin access)."""
    body = _body(_load(name), "html")
    if body is None:
        abort(404)
    return (
        body,
        200,
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": "sandbox; default-src 'none'; img-src data: 'self'; "
            "style-src 'unsafe-inline'; frame-ancestors 'self'",
            "X-Frame-Options": "SAMEORIGIN",
        },
    )
