"""Importing existing members: the file (encodings, columns, rows), the preview, invitations
sent once, re-imports that change nothing, and the one-time link."""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from planet.extensions import db
from planet.members import import_file, invitations
from planet.members.models import ImportStatus, Invitation, MemberImport
from planet.models import utcnow
from planet.planets.models import Membership, MembershipSource, Role
from planet.text import csv_safe

NEXT_YEAR = (date.today() + timedelta(days=200)).isoformat()
LAST_YEAR = (date.today() - timedelta(days=200)).isoformat()


def csv_bytes(rows, header=("name", "email", "paid_until", "role"), encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def read(data, max_rows=10_000):
    with force_locale("en"):  # the refusals are read in English
        parsed = import_file.read(
            data, max_bytes=2_000_000, max_rows=max_rows, timezone="Asia/Shanghai", now=utcnow()
        )
    return parsed


@pytest.fixture
def owner_planet(make, login_as):
    owner = make.user(email="olga@example.com", name="Olga")
    planet = make.planet(owner, slug="moon", name="Moon")
    db.session.commit()
    login_as(owner)
    return planet


def upload(client, data, filename="people.csv"):
    return client.post(
        "/p/moon/members/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


# ---------------------------------------------------------------- the file


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_utf8_with_or_without_bom_and_gbk_read_the_same(encoding):
    data = csv_bytes(
        [
            ["李雷", "li@example.com", NEXT_YEAR, "嘉宾"],
            ["韩梅梅", "HAN@Example.com", NEXT_YEAR, ""],
        ],
        header=("姓名", "邮箱", "到期日", "角色"),
        encoding=encoding,
    )
    parsed = read(data)
    assert [(p.name, p.contact, p.role) for p in parsed.people] == [
        ("李雷", "li@example.com", "guest"),
        ("韩梅梅", "han@example.com", "member"),
    ]
    assert parsed.errors == []


def test_each_bad_row_gets_its_own_error_and_the_good_rows_stay():
    rows = [
        ["Ada", "ada@example.com", NEXT_YEAR, "member"],
        ["", "noname@example.com", NEXT_YEAR, ""],
        ["Bob", "not-an-email", NEXT_YEAR, ""],
        ["Cy", "cy@example.com", "31/02/2027", ""],
        ["Di", "di@example.com", LAST_YEAR, ""],
        ["Ed", "ed@example.com", NEXT_YEAR, "owner"],
        ["Fay", "fay@example.com", NEXT_YEAR, "king"],
        ["Ada again", "ADA@example.com", NEXT_YEAR, ""],
        ["Gus", "gus@example.com", "2999-01-01", ""],
    ]
    parsed = read(csv_bytes(rows))
    assert [p.contact for p in parsed.people] == ["ada@example.com"]
    assert [(line, code) for line, *_, code in parsed.errors] == [
        (3, "no_name"), (4, "bad_email"), (5, "bad_date"), (6, "past_date"),
        (7, "owner_role"), (8, "bad_role"), (9, "duplicate"), (10, "far_date"),
    ]  # fmt: skip


def test_phone_numbers_are_normalised_and_deduplicated():
    parsed = read(
        csv_bytes(
            [["A", "138 0013 8000", NEXT_YEAR], ["B", "+86 138-0013-8000", NEXT_YEAR]],
            header=("name", "phone", "paid_until"),
        )
    )
    assert [(p.contact, p.kind) for p in parsed.people] == [("+8613800138000", "phone")]
    assert parsed.errors[0][-1] == "duplicate"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (csv_bytes([["A", "a@example.com"]], header=("name", "email")), "name the columns"),
        (csv_bytes([["A", NEXT_YEAR]], header=("name", "paid_until")), "name the columns"),
        (b"\x00\x01binary", "not a CSV"),
    ],
)
def test_whole_file_problems_are_refused(data, words):
    with pytest.raises(import_file.ImportRefused) as refused, force_locale("en"):
        read(data)
    with force_locale("en"):
        assert words in str(refused.value.reason)


def test_too_many_rows_are_refused_before_anything():
    data = csv_bytes([[f"P{n}", f"p{n}@example.com", NEXT_YEAR, ""] for n in range(11)])
    with pytest.raises(import_file.ImportRefused) as refused:
        read(data, max_rows=10)
    with force_locale("en"):
        assert "at most 10" in str(refused.value.reason)


def test_csv_safe_defuses_formulas():
    assert csv_safe("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    for value in ("+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(value).startswith("'")
    assert csv_safe("李雷") == "李雷"


# ---------------------------------------------------------------- preview, invitations


def test_preview_then_invitations_once_and_a_reimport_changes_nothing(
    app, client, owner_planet, smtp_catcher
):
    rows = [[f"Person {n}", f"p{n}@example.com", NEXT_YEAR, ""] for n in range(7)]
    rows.append(["=cmd|' /C calc'!A0", "evil@example.com", NEXT_YEAR, "guest"])
    rows.append(["Late", "late@example.com", LAST_YEAR, ""])
    app.config["IMPORT_CHUNK_SIZE"] = 3
    data = csv_bytes(rows)
    response = upload(client, data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This date is in the past." in page and "Send 8 invitations" in page
    assert count(Invitation) == 0 and smtp_catcher.messages == []

    member_import = db.session.scalar(select(MemberImport))
    client.post(f"/p/moon/members/import/{member_import.id}/start")
    client.post(f"/p/moon/members/import/{member_import.id}/start")  # pressed twice
    db.session.expire_all()
    assert member_import.status is ImportStatus.DONE
    assert (member_import.invited_count, member_import.processed_rows) == (8, 8)
    assert count(Invitation) == 8
    assert len(smtp_catcher.messages) == 8
    assert len({m["To"] for m in smtp_catcher.messages}) == 8

    # The same file again: the same import; the same people in another file: nobody new.
    again = upload(client, data)
    assert again.headers["Location"].endswith(f"/import/{member_import.id}")
    reordered = csv_bytes(list(reversed(rows[:8])))
    other = upload(client, reordered)
    other_id = int(other.headers["Location"].rsplit("/", 1)[1])
    client.post(f"/p/moon/members/import/{other_id}/start")
    second = db.session.get(MemberImport, other_id)
    assert (second.invited_count, second.already_invited_count) == (0, 8)
    assert count(Invitation) == 8 and len(smtp_catcher.messages) == 8

    export = client.get(f"/p/moon/members/import/{member_import.id}/links.csv")
    text = export.get_data(as_text=True)
    assert "'=cmd|' /C calc'!A0" in text
    assert "\n=cmd" not in text and ",=cmd" not in text


def test_bad_files_answer_400_with_the_reason_and_store_nothing(app, client, owner_planet):
    app.config["IMPORT_MAX_ROWS"] = 10
    for data, words in (
        (csv_bytes([["A", "a@example.com"]], header=("name", "email")), "name the columns"),
        (csv_bytes([[f"P{n}", f"p{n}@x.com", NEXT_YEAR, ""] for n in range(12)]), "at most"),
    ):
        response = upload(client, data)
        assert response.status_code == 400
        assert words in response.get_data(as_text=True)
    assert count(MemberImport) == 0


def test_only_the_owner_imports(app, client, make, owner_planet, login_as):
    admin = make.user()
    make.member(owner_planet, admin, role=Role.ADMIN)
    db.session.commit()
    login_as(admin)
    assert client.get("/p/moon/members/import").status_code == 403
    assert upload(client, csv_bytes([["A", "a@example.com", NEXT_YEAR, ""]])).status_code == 403
    assert count(MemberImport) == 0


# ---------------------------------------------------------------- the link


def _invite_path(catcher, address):
    [mail] = catcher.to(address)
    [link] = [url for url in catcher.links(mail) if "/invitation/" in url]
    return urlsplit(link).path


def test_a_new_person_signs_up_from_the_link_and_becomes_a_guest_once(
    app, client, make, owner_planet, smtp_catcher, login_as
):
    upload(client, csv_bytes([["Gail", "gail@example.com", NEXT_YEAR, "guest"]]))
    client.post(f"/p/moon/members/import/{db.session.scalar(select(MemberImport.id))}/start")
    path = _invite_path(smtp_catcher, "gail@example.com")
    client.post("/accounts/logout")
    fresh = app.test_client()
    fresh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = fresh.get(path).get_data(as_text=True)
    assert "Create an account" in page and "email=gail@example.com" in page
    signup = fresh.get(f"/accounts/signup?next={path}&email=gail@example.com")
    assert 'value="gail@example.com"' in signup.get_data(as_text=True)
    fresh.post(
        "/accounts/signup",
        data={"email": "gail@example.com", "display_name": "Gail", "password": "a long password 1",
              "next": path},
    )  # fmt: skip
    assert fresh.post(path).status_code == 302
    assert fresh.post(path).status_code == 409  # used: refused, nothing more
    membership = db.session.scalar(select(Membership).where(Membership.role == Role.GUEST))
    assert membership.source is MembershipSource.IMPORT
    assert membership.expires_at.date() >= date.fromisoformat(NEXT_YEAR)
    assert count(Membership) == 2  # the owner and Gail


def test_an_existing_member_keeps_a_longer_membership(app, client, make, owner_planet, login_as):
    ada = make.user(email="ada@example.com")
    longer = make.member(owner_planet, ada, expires_in=timedelta(days=900))
    until = longer.expires_at
    db.session.commit()
    invitation = Invitation(
        planet_id=owner_planet.id, name="Ada", contact="ada@example.com",
        expires_at=utcnow() + timedelta(days=30),
    )  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    login_as(ada)
    token = invitations.invitation_token(owner_planet.id, invitation.id)
    assert client.post(f"/p/moon/invitation/{token}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Membership, longer.id).expires_at == until


def test_edited_or_foreign_links_are_404(app, client, make, owner_planet):
    other = make.planet(slug="mars")
    invitation = Invitation(
        planet_id=other.id, name="X", contact="x@example.com",
        expires_at=utcnow() + timedelta(days=30),
    )  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    foreign = invitations.invitation_token(other.id, invitation.id)
    for token in (foreign, foreign[:-2] + "xx", "nonsense", "x" * 500):
        assert client.get(f"/p/moon/invitation/{token}").status_code == 404


@pytest.mark.postgres
def test_one_link_used_from_ten_tabs_at_once_makes_one_membership(app, make, login_as):
    owner = make.user()
    planet = make.planet(owner, slug="moon")
    gail = make.user(email="gail@example.com")
    invitation = Invitation(
        planet_id=planet.id, name="Gail", contact="gail@example.com", role="guest",
        expires_at=utcnow() + timedelta(days=90),
    )  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    path = f"/p/moon/invitation/{invitations.invitation_token(planet.id, invitation.id)}"
    members_before = planet.member_count
    clients = []
    for _ in range(10):
        tab = app.test_client()
        login_as(gail, on=tab)
        clients.append(tab)
    barrier = threading.Barrier(len(clients))
    statuses = []

    def accept(tab):
        barrier.wait()
        statuses.append(tab.post(path).status_code)

    threads = [threading.Thread(target=accept, args=(tab,)) for tab in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [302] + [409] * 9
    db.session.expire_all()
    assert count(Membership, Membership.user_id == gail.id) == 1
    assert db.session.get(type(planet), planet.id).member_count == members_before + 1
    assert db.session.get(Invitation, invitation.id).accepted_by_id == gail.id


def test_a_file_of_100000_rows_is_refused_whole_with_a_clear_reason(app, client, owner_planet):
    data = csv_bytes([[f"P{n}", f"p{n}@example.com", NEXT_YEAR, ""] for n in range(100_000)])
    too_big = upload(client, data)
    assert too_big.status_code == 400
    assert "larger than 2.0 MB" in too_big.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 10 * 1024 * 1024  # past the size limit: the row limit
    too_long = upload(client, data)
    assert too_long.status_code == 400
    assert "100,000 rows; at most 10,000" in too_long.get_data(as_text=True)
    assert count(MemberImport) == 0 and count(Invitation) == 0


def test_an_invitation_never_changes_an_admins_role(app, client, make, owner_planet, login_as):
    ada = make.user(email="ada@example.com")
    make.member(owner_planet, ada, role=Role.ADMIN)
    invitation = Invitation(
        planet_id=owner_planet.id, name="Ada", contact="ada@example.com", role="guest",
        expires_at=utcnow() + timedelta(days=30),
    )  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    login_as(ada)
    token = invitations.invitation_token(owner_planet.id, invitation.id)
    assert client.post(f"/p/moon/invitation/{token}").status_code == 302
    db.session.expire_all()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == ada.id))
    assert membership.role is Role.ADMIN
