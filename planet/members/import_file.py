"""Reading an uploaded list of existing members: the encoding, the columns and each row.

A pure function of the bytes, the planet's time zone and the clock: no database. The file is
UTF-8 (with or without a BOM) or GB18030/GBK (what Excel writes on a Chinese Windows); its
header names the columns in English or Chinese, in any order:

    name / 姓名, email / 邮箱, phone / 手机, paid_until / 到期日, role / 角色 (optional)

Whole-file problems (too large, too many rows, an encoding we cannot read, missing columns)
raise `ImportRefused`; a problem with one row becomes an error code on that row, shown in the
preview (`ERROR_CODES` in planet/members/imports.py has their words).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from planet.errors import ServiceError

COLUMNS = {
    "name": ("name", "姓名", "名字", "昵称"),
    "email": ("email", "e-mail", "邮箱", "电子邮箱", "电子邮件"),
    "phone": ("phone", "mobile", "手机", "手机号", "电话"),
    "paid_until": ("paid_until", "paid until", "paid-until", "到期日", "到期时间", "有效期至"),
    "role": ("role", "角色"),
}
ROLES = {
    "member": "member", "成员": "member", "": "member",
    "guest": "guest", "嘉宾": "guest",
    "admin": "admin", "管理员": "admin",
}  # fmt: skip
NAME_MAX = 60
CELL_MAX = 254
LONGEST_TERM = timedelta(days=366 * 10)
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class ImportRefused(ServiceError):
    """The whole file cannot be used; nothing is stored."""

    status = 400
    field = "file"


@dataclass(frozen=True)
class Person:
    line: int
    name: str
    contact: str
    kind: str
    """'email' or 'phone'."""
    role: str
    expires_at: datetime
    paid_until: str
    """The date as written in the file (shown back in the preview)."""


@dataclass
class Parsed:
    people: list[Person] = field(default_factory=list)
    errors: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    """(line, name, contact, paid-until as written, error code)"""
    rows: int = 0


def decode(data: bytes, max_bytes: int) -> str:
    """The file's text: UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK)."""
    if not data.strip():
        raise ImportRefused(_l("The file is empty."))
    if len(data) > max_bytes:
        raise ImportRefused(
            _l("The file is larger than %(mb)s MB.", mb=round(max_bytes / 1024 / 1024, 1))
        )
    if b"\x00" in data:
        raise ImportRefused(_l("This is not a CSV text file."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_l("The file is neither UTF-8 nor GBK text."))  # pragma: no cover


def _header_map(header: list[str]) -> dict[str, int]:
    found = {}
    for index, raw in enumerate(header):
        label = (raw or "").strip().lower()
        for column, names in COLUMNS.items():
            if label in names and column not in found:
                found[column] = index
    missing = [c for c in ("name", "paid_until") if c not in found]
    if missing or ("email" not in found and "phone" not in found):
        raise ImportRefused(
            _l(
                "The first row must name the columns: name, email or phone, paid_until and "
                "(optionally) role. Found: %(found)s.",
                found=", ".join(h.strip()[:30] for h in header if h.strip())[:200] or "—",
            )
        )
    return found


def read(data: bytes, *, max_bytes: int, max_rows: int, timezone: str, now: datetime) -> Parsed:
    """Check every row of the file: the people to invite, and each row's error."""
    text = decode(data, max_bytes)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise ImportRefused(_l("The file is empty."))
        columns = _header_map(header)
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error:
        raise ImportRefused(_l("The file is not valid CSV.")) from None
    if len(rows) > max_rows:
        raise ImportRefused(
            _l("The file has %(n)s rows; at most %(max)s can be imported at once.",
               n=f"{len(rows):,}", max=f"{max_rows:,}")
        )  # fmt: skip
    parsed = Parsed(rows=len(rows))
    seen: set[str] = set()
    zone = ZoneInfo(timezone)
    for line, row in rows:
        person, error = _person(line, row, columns, zone, now)
        if error is None and person.contact in seen:
            error = "duplicate"
        if error is not None:
            parsed.errors.append(
                (line, _cell(row, columns, "name"), _contact_as_written(row, columns),
                 _cell(row, columns, "paid_until"), error)
            )  # fmt: skip
            continue
        seen.add(person.contact)
        parsed.people.append(person)
    return parsed


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(row):
        return ""
    return _CONTROL.sub("", row[index]).strip()[:CELL_MAX]


def _contact_as_written(row, columns) -> str:
    return _cell(row, columns, "email") or _cell(row, columns, "phone")


def _person(line, row, columns, zone, now) -> tuple[Person | None, str | None]:
    name = _cell(row, columns, "name")
    if not name:
        return None, "no_name"
    if len(name) > NAME_MAX:
        return None, "long_name"
    contact, kind, error = _contact(_cell(row, columns, "email"), _cell(row, columns, "phone"))
    if error:
        return None, error
    role = ROLES.get(_cell(row, columns, "role").lower())
    if role is None:
        owner = _cell(row, columns, "role").lower() in ("owner", "星主")
        return None, "owner_role" if owner else "bad_role"
    written = _cell(row, columns, "paid_until")
    expires_at, error = _expiry(written, zone, now)
    if error:
        return None, error
    return Person(line, name, contact, kind, role, expires_at, written), None


def _contact(email: str, phone: str) -> tuple[str, str, str | None]:
    """An email is preferred (the invitation is mailed); a phone-only row gets a link the owner
    passes on."""
    if email:
        try:
            address = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            return "", "", "bad_email"
        return address.lower(), "email", None
    if phone:
        digits = _PHONE_SEPARATORS.sub("", phone)
        if not _PHONE.match(digits):
            return "", "", "bad_phone"
        if not digits.startswith("+"):
            digits = "+86" + digits if len(digits) == 11 and digits[0] == "1" else "+" + digits
        return digits, "phone", None
    return "", "", "no_contact"


def parse_date(written: str) -> date | None:
    match = _DATE.match(written)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _expiry(written: str, zone: ZoneInfo, now: datetime) -> tuple[datetime | None, str | None]:
    day = parse_date(written)
    if day is None:
        return None, "bad_date"
    return expiry_of(day, zone, now)


def expiry_of(day: date, zone: ZoneInfo, now: datetime) -> tuple[datetime | None, str | None]:
    """Paid until the end of `day` in the planet's time zone: the instant access ends, or an
    error code (past_date, far_date)."""
    expires_at = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    if expires_at <= now:
        return None, "past_date"
    if expires_at - now > LONGEST_TERM:
        return None, "far_date"
    return expires_at.astimezone(now.tzinfo), None
