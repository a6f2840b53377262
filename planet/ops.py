"""`flask ops backup` and `flask ops restore`: the database and the uploaded files, together.

A backup is a folder:

    manifest.json     when, the schema revision, every table's row count, every file's size
                      and SHA-256
    database.dump     PostgreSQL: `pg_dump --format=custom` (one consistent snapshot)
    database.sqlite3  SQLite (the embedded default): the sqlite3 online backup API
    files/<key>       every object of the storage (the local folder or the bucket)

The database is dumped first, the files copied after: an upload that lands in between is in the
files and not in the rows (harmless), never the other way round, because an upload is stored
before its row is written. Restore refuses a database or a storage that is not empty, then checks
every row count and every file hash against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from planet.extensions import db
from planet.storage import storage

MANIFEST = "manifest.json"
FORMAT = 1


class BackupError(click.ClickException):
    pass


def _engine_url() -> sa.engine.URL:
    return db.engine.url


def _libpq_url(url: sa.engine.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603 - our argv
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()[-2000:]}")


def table_counts() -> dict[str, int]:
    """Rows in every table of the database (not only the models': Alembic's too)."""
    inspector = sa.inspect(db.engine)
    with db.engine.connect() as connection:
        return {
            name: connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            for name in sorted(inspector.get_table_names())
        }


def _revision() -> str | None:
    if "alembic_version" not in sa.inspect(db.engine).get_table_names():
        return None
    with db.engine.connect() as connection:
        return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump_database(folder: Path) -> str:
    url = _engine_url()
    if url.get_backend_name() == "postgresql":
        target = folder / "database.dump"
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl",
              f"--file={target}", f"--dbname={_libpq_url(url)}"])  # fmt: skip
        return target.name
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        target = folder / "database.sqlite3"
        with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return target.name
    raise BackupError(f"cannot back up a {url.get_backend_name()} database here")


def backup(folder: Path, echo=click.echo) -> dict:
    """Write a backup of the database and the storage into `folder` (created, must be empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty")
    counts = table_counts()
    database_file = _dump_database(folder)
    echo(f"Database: {sum(counts.values())} rows in {len(counts)} tables → {database_file}")
    files = []
    store = storage()
    with click.progressbar(list(store.iter_keys()), label="Files") as objects:
        for stored in objects:
            data = store.read(stored.key)
            if data is None:
                continue  # deleted while we copied
            target = folder / "files" / stored.key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            files.append({"key": stored.key, "size": len(data), "sha256": _sha256(data)})
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "revision": _revision(),
        "database": {"backend": _engine_url().get_backend_name(), "file": database_file},
        "tables": counts,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    echo(f"Files: {len(files)} → {folder / 'files'}")
    return manifest


def _refuse_unless_empty() -> None:
    filled = {name: n for name, n in table_counts().items() if n}
    if filled:
        raise BackupError(
            "restore needs a fresh, empty database (do not run `flask db upgrade` first); "
            "these tables hold rows: " + ", ".join(sorted(filled))
        )
    if next(iter(storage().iter_keys()), None) is not None:
        raise BackupError("restore needs an empty storage (folder or bucket)")


def _restore_database(folder: Path, manifest: dict) -> None:
    url = _engine_url()
    source = folder / manifest["database"]["file"]
    if manifest["database"]["backend"] != url.get_backend_name():
        raise BackupError(
            f"the backup is of a {manifest['database']['backend']} database, "
            f"DATABASE_URL is {url.get_backend_name()}"
        )
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "postgresql":
        _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
              f"--dbname={_libpq_url(url)}", str(source)])  # fmt: skip
    else:
        shutil.copyfile(source, url.database)


def restore(folder: Path, echo=click.echo) -> dict:
    """Bring a backup back into an empty database and storage, then check it."""
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    _refuse_unless_empty()
    _restore_database(folder, manifest)
    store = storage()
    with click.progressbar(manifest["files"], label="Files") as files:
        for entry in files:
            data = (folder / "files" / entry["key"]).read_bytes()
            if _sha256(data) != entry["sha256"]:
                raise BackupError(f"{entry['key']} does not match its hash in the manifest")
            store.put(entry["key"], data, "application/octet-stream")
    problems = verify(manifest)
    if problems:
        raise BackupError("the restored copy differs: " + "; ".join(problems))
    echo(f"Restored {sum(manifest['tables'].values())} rows and {len(manifest['files'])} files.")
    return manifest


def verify(manifest: dict) -> list[str]:
    """What differs between the live database and storage and a backup's manifest."""
    problems = [
        f"{name}: {count} rows, expected {manifest['tables'].get(name)}"
        for name, count in table_counts().items()
        if count != manifest["tables"].get(name)
    ]
    store = storage()
    for entry in manifest["files"]:
        data = store.read(entry["key"])
        if data is None or _sha256(data) != entry["sha256"]:
            problems.append(f"file {entry['key']} missing or different")
    return problems


@click.group("ops", help="Backup and restore.")
def ops_cli():
    pass


@ops_cli.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(folder: Path):
    """Back up the database and every stored file into FOLDER."""
    backup(folder)


@ops_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(folder: Path):
    """Restore FOLDER into an empty database and storage (then verify every row count and
    file hash)."""
    restore(folder)


cli_commands = [ops_cli]
