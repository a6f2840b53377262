"""Export requests: queued by a person, built by a worker, mailed as a link, expired after a week.

The ZIP is built in a temporary file (spilling to disk past 32 MB) and stored through
planet/storage.py under an unguessable key; only its requester may download it, after the
access check, until it expires (`EXPORT_RETENTION_DAYS`).
"""

from __future__ import annotations

import secrets
import tempfile
import zipfile
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from planet import jobs, policy
from planet.accounts.models import User
from planet.errors import ServiceError
from planet.exports.models import DataExport, ExportKind, ExportStatus
from planet.exports.sections import SECTIONS, Scope
from planet.extensions import db
from planet.mail import in_recipient_language
from planet.models import utcnow
from planet.notifications import outbox
from planet.planets.models import Planet
from planet.storage import storage
from planet.web.links import external_url

README = """# Planet export

This archive is an export from Planet. Every text is UTF-8.

- `README.md`: this file.
- `planet.json`: the planet's settings (a planet export only).
- `topics/<id>.md`: one topic per file, Markdown with a small header (id, kind, author, date,
  essence), then the question's answer and the comments. `topics/<id>.json`: the same as
  data. In a personal export they are under `planet-<id>/topics/`.
- `answers.json`, `comments.json` (personal export): what you wrote on others' topics.
- `members.json` (planet export): members with their role, state, dates, name and
  self-introduction. No e-mail address or contact line: members did not give them for export.
- `account.json`, `memberships.json` (personal export): your account and memberships.
- `payments.json`, `ledger.json`: payments and how each was split (integer minor units, e.g.
  cents/分, with the currency); refunds and corrections are rows of their own.
- `files.json` and `files/<key>`: the uploaded images with their original names.
- `library.json` and `library/<id>-<name>`: the Files tab's documents, archives, recordings and
  videos, as uploaded.

# 星球导出

本压缩包由 Planet 导出，所有文本均为 UTF-8。`topics/` 下每个主题一个 Markdown 文件（含回答与评论），
同名 `.json` 为结构化数据；`members.json` 不含邮箱与联系方式；金额均为最小货币单位的整数（分）。
"""


def retention() -> timedelta:
    return timedelta(days=int(current_app.config["EXPORT_RETENTION_DAYS"]))


def request_export(user, planet: Planet | None = None) -> DataExport:
    """Queue an export of `planet` (its owner) or of the user's own data; one at a time."""
    if planet is not None:
        policy.require(user, policy.Action.EXPORT_PLANET, planet)
    waiting = db.session.scalar(
        select(DataExport.id).where(
            DataExport.user_id == user.id,
            DataExport.planet_id == planet.id if planet else DataExport.planet_id.is_(None),
            DataExport.status == ExportStatus.QUEUED,
        )
    )
    if waiting:
        raise ServiceError(_l("An export is already being prepared. We will e-mail you."), 409)
    export = DataExport(
        kind=ExportKind.PLANET if planet else ExportKind.PERSONAL,
        user_id=user.id,
        planet_id=planet.id if planet else None,
    )
    db.session.add(export)
    db.session.flush()
    jobs.defer("exports.build", export_id=export.id)
    return export


def write_zip(scope: Scope, target) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", README)
        for section in SECTIONS.values():
            for path, data in section(scope):
                archive.writestr(path, data)


def build(export_id: int, now: datetime | None = None) -> DataExport | None:
    """Build a queued export once (a retried job finds it ready and does nothing)."""
    export = db.session.scalar(
        select(DataExport).where(DataExport.id == export_id).with_for_update()
    )
    if export is None or export.status is not ExportStatus.QUEUED:
        return export
    now = now or utcnow()
    if export.planet_id:
        scope = Scope(planet_id=export.planet_id, viewer_id=export.user_id)
    else:
        scope = Scope(user_id=export.user_id)
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as spool:
        write_zip(scope, spool)
        spool.seek(0)
        data = spool.read()
    key = f"exports/{secrets.token_urlsafe(24)}.zip"
    storage().put(key, data, "application/zip")
    export.storage_key, export.size = key, len(data)
    export.status, export.ready_at, export.expires_at = ExportStatus.READY, now, now + retention()
    db.session.flush()
    _tell(export)
    return export


def _tell(export: DataExport) -> None:
    user = db.session.get(User, export.user_id)
    with in_recipient_language(user):
        link = external_url("exports.download", export_id=export.id)
        subject = _("Your Planet export is ready")
        body = _(
            "Download it here (sign in first; the link works for %(days)s days):\n%(link)s",
            days=retention().days,
            link=link,
        )
    outbox.queue_email(user.email, f"export:{export.id}", subject, body)


def downloadable(export_id: int, user) -> DataExport:
    """The requester's ready export (404 for anyone else; 410 once expired)."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.user_id != user.id:
        raise ServiceError(_l("There is no such export."), 404)
    if export.planet_id is not None:
        policy.require(user, policy.Action.EXPORT_PLANET, db.session.get(Planet, export.planet_id))
    if export.status is ExportStatus.EXPIRED or (
        export.expires_at is not None and export.expires_at <= utcnow()
    ):
        raise ServiceError(_l("This export has expired. Ask for a new one."), 410)
    if export.status is not ExportStatus.READY:
        raise ServiceError(_l("This export is not ready yet."), 409)
    return export


def recent(user, planet: Planet | None = None, limit: int = 10) -> list[DataExport]:
    where = DataExport.planet_id == planet.id if planet else DataExport.planet_id.is_(None)
    return list(
        db.session.scalars(
            select(DataExport)
            .where(DataExport.user_id == user.id, where)
            .order_by(DataExport.id.desc())
            .limit(limit)
        )
    )


def expire_due(now: datetime | None = None, limit: int = 200) -> dict:
    """Delete the files of exports past their time (a beat job; in proportion to what is due)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(DataExport)
        .where(DataExport.status == ExportStatus.READY, DataExport.expires_at <= now)
        .order_by(DataExport.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for export in due:
        if export.storage_key:
            storage().delete(export.storage_key)
        export.status, export.storage_key = ExportStatus.EXPIRED, None
    db.session.commit()
    return {"expired": len(due)}


@jobs.handler("exports.build")
def build_job(export_id: int, **_ignored) -> None:
    build(export_id)
