"""Importing people who already paid elsewhere: preview, then one invitation each, by a worker.

    preview_import(planet, owner, "list.csv", data)   # checks every row, stores nothing else
    start_import(planet, owner, member_import)        # defers the first chunk
    members.import_chunk(import_id, offset)           # a job: one chunk, then defers the next

Each chunk runs in one transaction: it inserts the chunk's invitations (INSERT … ON CONFLICT
DO NOTHING on (planet, contact, expiry)), queues their mails in the outbox (keyed by the
invitation) and moves `processed_rows` on, so a worker killed mid-chunk leaves nothing of that
chunk and the redelivered job does it again; a redelivered job for a chunk already done does
nothing. The same file uploaded again is the same import (unique content hash); another file
with the same people and the same expiry invites nobody twice.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from planet import jobs, policy
from planet.accounts.models import User
from planet.dbutil import dialect_insert, insert_ignore
from planet.errors import Conflict
from planet.extensions import db
from planet.members import import_file, invitations
from planet.members.models import ImportStatus, Invitation, MemberImport
from planet.models import utcnow
from planet.planets.models import Membership, Planet

ERROR_CODES = {
    "no_name": _l("The name is missing."),
    "long_name": _l("The name is longer than 60 characters."),
    "no_contact": _l("Neither an email address nor a phone number."),
    "bad_email": _l("This is not a valid email address."),
    "bad_phone": _l("This is not a valid phone number."),
    "bad_role": _l("The role must be member, guest or admin."),
    "owner_role": _l("The owner role cannot be imported."),
    "bad_date": _l("The date must be written like 2027-03-31."),
    "past_date": _l("This date is in the past."),
    "far_date": _l("This date is more than ten years away."),
    "duplicate": _l("The same person is on an earlier row."),
    "already_member": _l("Already a member until this date or later."),
}
PREVIEW_ERRORS_SHOWN = 500
PREVIEW_SAMPLE = 20


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_import(planet: Planet, import_id: int) -> MemberImport | None:
    return db.session.scalar(
        select(MemberImport).where(
            MemberImport.id == import_id, MemberImport.planet_id == planet.id
        )
    )


def recent_imports(planet: Planet, limit: int = 10) -> list[MemberImport]:
    return db.session.scalars(
        select(MemberImport)
        .where(MemberImport.planet_id == planet.id)
        .order_by(MemberImport.id.desc())
        .limit(limit)
    ).all()


def preview_import(planet: Planet, actor, filename: str, data: bytes) -> MemberImport:
    """Check the file and keep its rows for the preview; invite nobody yet. The same file
    again returns the import it already made (whatever its state)."""
    policy.require(actor, policy.Action.IMPORT_MEMBERS, planet)
    digest = _digest(data)
    existing = _by_hash(planet.id, digest)
    if existing is not None:
        return existing
    config = current_app.config
    parsed = import_file.read(
        data,
        max_bytes=config["IMPORT_MAX_BYTES"],
        max_rows=config["IMPORT_MAX_ROWS"],
        timezone=planet.timezone,
        now=utcnow(),
    )
    people = _without_current_members(planet, parsed)
    report = {
        "rows": parsed.rows,
        "errors": parsed.errors[:PREVIEW_ERRORS_SHOWN],
        "error_count": len(parsed.errors),
        "phones": sum(person.kind == "phone" for person in people),
        "sample": [
            [p.line, p.name, p.contact, p.role, p.paid_until] for p in people[:PREVIEW_SAMPLE]
        ],
    }
    rows = [[p.name, p.contact, p.kind, p.role, p.expires_at.isoformat()] for p in people]
    insert_ignore(
        MemberImport,
        {
            "planet_id": planet.id,
            "created_by_id": actor.id,
            "filename": (filename or "")[:255],
            "content_hash": digest,
            "status": ImportStatus.PREVIEW,
            "rows_json": json.dumps(rows, ensure_ascii=False),
            "report_json": json.dumps(report, ensure_ascii=False),
            "total_rows": len(rows),
            "processed_rows": 0,
            "invited_count": 0,
            "already_invited_count": 0,
            "created_at": utcnow(),
        },
        ["planet_id", "content_hash"],
    )
    return _by_hash(planet.id, digest)


def _by_hash(planet_id: int, digest: str) -> MemberImport | None:
    return db.session.scalar(
        select(MemberImport).where(
            MemberImport.planet_id == planet_id, MemberImport.content_hash == digest
        )
    )


def _without_current_members(planet: Planet, parsed: import_file.Parsed) -> list:
    """Drop people who are members until that date or later already (an error row each)."""
    emails = [p.contact for p in parsed.people if p.kind == "email"]
    covered: dict[str, datetime | None] = {}
    now = utcnow()
    for start in range(0, len(emails), 1000):
        rows = db.session.execute(
            select(User.email, Membership.expires_at)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.planet_id == planet.id,
                Membership.active_at(now),
                User.email.in_(emails[start : start + 1000]),
            )
        ).all()
        covered.update({row.email: row.expires_at for row in rows})
    kept = []
    for person in parsed.people:
        if person.contact in covered:
            until = covered[person.contact]
            if until is None or until >= person.expires_at:
                parsed.errors.append(
                    (person.line, person.name, person.contact, person.paid_until, "already_member")
                )
                continue
        kept.append(person)
    parsed.errors.sort()
    return kept


def report_of(member_import: MemberImport) -> dict:
    return json.loads(member_import.report_json or "{}")


def start_import(
    planet: Planet, actor, member_import: MemberImport, locale: str | None = None
) -> bool:
    """Send the invitations (by a worker, chunk by chunk). Pressing twice starts it once.
    Returns whether this call started it."""
    policy.require(actor, policy.Action.IMPORT_MEMBERS, planet)
    locked = db.session.scalar(
        select(MemberImport).where(MemberImport.id == member_import.id).with_for_update()
    )
    db.session.refresh(locked)
    if locked.status is not ImportStatus.PREVIEW:
        return False
    if locked.total_rows == 0:
        raise Conflict(_l("There is nobody to invite in this file."))
    locked.status = ImportStatus.RUNNING
    locked.started_at = utcnow()
    db.session.flush()
    jobs.defer("members.import_chunk", import_id=locked.id, offset=0, locale=locale)
    return True


def chunk_size() -> int:
    return int(current_app.config["IMPORT_CHUNK_SIZE"])


@jobs.handler("members.import_chunk")
def import_chunk(import_id: int, offset: int = 0, locale: str | None = None) -> str:
    """Invite the rows [offset, offset + chunk) and defer the next chunk; a job redelivered
    after its chunk committed finds `processed_rows` moved on and does nothing."""
    member_import = db.session.scalar(
        select(MemberImport).where(MemberImport.id == import_id).with_for_update()
    )
    if member_import is None or member_import.status is not ImportStatus.RUNNING:
        return "nothing to do"
    if member_import.processed_rows != offset:
        return "already done"
    rows = json.loads(member_import.rows_json)[offset : offset + chunk_size()]
    planet = db.session.get(Planet, member_import.planet_id)
    new = _invite(planet, member_import, rows, locale)
    done = offset + len(rows)
    values = {
        "processed_rows": done,
        "invited_count": MemberImport.invited_count + len(new),
        "already_invited_count": MemberImport.already_invited_count + len(rows) - len(new),
    }
    if done >= member_import.total_rows:
        values.update(status=ImportStatus.DONE, finished_at=utcnow(), rows_json="[]")
    db.session.execute(
        update(MemberImport)
        .where(MemberImport.id == import_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if done < member_import.total_rows:
        jobs.defer("members.import_chunk", import_id=import_id, offset=done, locale=locale)
    return f"invited {len(new)} of {len(rows)}"


def _invite(planet: Planet, member_import: MemberImport, rows: list, locale) -> list:
    """Insert the rows' invitations (those already there are skipped) and queue their mails."""
    if not rows:
        return []
    now = utcnow()
    values = [
        {
            "planet_id": planet.id,
            "import_id": member_import.id,
            "name": name,
            "contact": contact,
            "contact_kind": kind,
            "role": role,
            "expires_at": datetime.fromisoformat(expires_at),
            "created_at": now,
        }
        for name, contact, kind, role, expires_at in rows
    ]
    new = db.session.execute(
        dialect_insert(Invitation)
        .on_conflict_do_nothing(index_elements=["planet_id", "contact", "expires_at"])
        .returning(Invitation.id, Invitation.name, Invitation.contact, Invitation.contact_kind,
                   Invitation.expires_at, Invitation.source),
        values,
    ).all()  # fmt: skip
    invitations.queue_invitation_mails(planet, new, locale)
    return new
