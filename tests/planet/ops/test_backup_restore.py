"""`flask ops backup` then `flask ops restore` into a fresh PostgreSQL database and a fresh
storage: every table's row count and every file's hash come back."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from planet.dbutil import drop_postgres_database
from planet.extensions import db
from planet.ops import table_counts
from planet.storage import storage
from tests.conftest import PG_ADMIN_URL, login, make_test_app
from tests.plugins.s3 import new_bucket

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("storage_backend")]


@pytest.fixture
def fresh_database():
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"planet_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
    drop_postgres_database(admin, name)
    admin.dispose()


def _png(color) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (20, 20), color).save(output, format="PNG")
    return output.getvalue()


def _files() -> dict[str, str]:
    store = storage()
    return {o.key: hashlib.sha256(store.read(o.key)).hexdigest() for o in store.iter_keys()}


def test_backup_of_the_demo_restores_into_a_fresh_database_and_storage(
    app, client, runner, tmp_path, fresh_database, storage_backend, request
):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    from planet.accounts.models import User

    owner = db.session.scalar(sa.select(User).where(User.email == "owner@demo.planet"))
    login(client, owner)
    uploaded = client.post(
        "/p/growth-club/new",
        data={"body": "with a picture", "images": [(io.BytesIO(_png("navy")), "a.png")]},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code in (302, 303)
    client.post(
        "/accounts/settings/avatar",
        data={"avatar": (io.BytesIO(_png("gold")), "me.png")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    counts, files = table_counts(), _files()
    owner_email, owner_hash = owner.email, owner.password_hash
    library = [key for key in files if key.startswith("library/")]
    assert counts["topics"] > 10 and counts["attachments"] == 1
    assert len(files) - len(library) == 2 and len(library) >= 6  # the demo's PDFs and ZIPs

    folder = tmp_path / "backup"
    made = runner.invoke(args=["ops", "backup", str(folder)])
    assert made.exit_code == 0, made.output
    assert (folder / "database.dump").stat().st_size > 0

    if storage_backend["STORAGE_BACKEND"] == "s3":
        target_storage = new_bucket(request.getfixturevalue("s3_endpoint"))
    else:
        target_storage = {"STORAGE_BACKEND": "local"}
    restored_app = make_test_app(fresh_database, tmp_path / "elsewhere", **target_storage)
    with restored_app.app_context():
        restore = restored_app.test_cli_runner().invoke(args=["ops", "restore", str(folder)])
        assert restore.exit_code == 0, restore.output
        assert table_counts() == counts
        assert _files() == files
        # Restoring again over the restored copy is refused and changes nothing.
        again = restored_app.test_cli_runner().invoke(args=["ops", "restore", str(folder)])
        assert again.exit_code != 0 and "empty database" in again.output
        assert table_counts() == counts
        owner_again = db.session.scalar(sa.select(User).where(User.email == owner_email))
        assert owner_again.password_hash == owner_hash
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_backup_file_is_refused(app, runner, tmp_path, fresh_database):
    storage().put("avatars/0123456789abcdef0123456789abcdef.png", _png("red"), "image/png")
    folder = tmp_path / "backup"
    assert runner.invoke(args=["ops", "backup", str(folder)]).exit_code == 0
    damaged = next((folder / "files").rglob("*.png"))
    damaged.write_bytes(b"not the same")
    restored_app = make_test_app(fresh_database, tmp_path / "elsewhere")
    with restored_app.app_context():
        restore = restored_app.test_cli_runner().invoke(args=["ops", "restore", str(folder)])
        assert restore.exit_code != 0
        assert "does not match its hash" in restore.output
        db.session.remove()
        db.engine.dispose()
