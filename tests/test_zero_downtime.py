"""A deploy without downtime: the newest migration is an *expand* step.

The release procedure (README, "Deploying without downtime") runs `flask db upgrade` while the
previous release's web and workers still serve. That is safe only if the newest migration keeps
everything the previous code reads and writes: no table or column dropped or renamed (that is a
later *contract* release), and every column it adds to an existing table nullable or with a
server default, so the previous code's INSERTs, which do not name it, still work. These tests
upgrade from the previous revision while a writer that knows only the previous schema keeps
reading and writing, and check the schema and the migration's source.
"""

from __future__ import annotations

import ast
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_OPS = {"drop_column", "drop_table", "rename_table", "drop_constraint"}


def _scripts(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def _value_for(column: sa.Column):
    kind = column.type
    if isinstance(kind, sa.Enum):
        return kind.enums[0]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer | sa.Numeric):
        return 0
    if isinstance(kind, sa.DateTime):
        return datetime.now(UTC)
    if isinstance(kind, sa.Date):
        return datetime.now(UTC).date()
    length = getattr(kind, "length", None) or 32
    return f"old-{uuid.uuid4().hex}"[:length]


def _old_release_row(table: sa.Table) -> dict:
    """A row as the previous release writes it: only the columns it knew, required ones filled."""
    return {
        column.name: _value_for(column)
        for column in table.columns
        if not column.nullable
        and column.server_default is None
        and not column.autoincrement
        or column.name == "email"
    }


class OldReleaseWriter(threading.Thread):
    """Reads and writes `users` with the previous schema's columns until told to stop."""

    def __init__(self, engine: sa.Engine, users: sa.Table):
        super().__init__(daemon=True)
        self.engine, self.users = engine, users
        self.stop, self.upgraded = threading.Event(), threading.Event()
        self.emails: list[str] = []
        self.after_upgrade = 0
        self.errors: list[BaseException] = []

    def run(self):
        while not self.stop.is_set():
            row = _old_release_row(self.users)
            try:
                with self.engine.begin() as connection:
                    connection.execute(self.users.insert().values(**row))
                    connection.scalar(sa.select(sa.func.count()).select_from(self.users))
            except BaseException as error:  # noqa: BLE001 - reported by the test
                self.errors.append(error)
                return
            self.emails.append(row["email"])
            self.after_upgrade += self.upgraded.is_set()


@pytest.mark.postgres
def test_the_newest_migration_runs_while_the_previous_release_reads_and_writes(
    tmp_path, pg_database_url
):
    from tests.conftest import _pg_schema_ready

    engine = sa.create_engine(pg_database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    app = make_test_app(pg_database_url, tmp_path)
    try:
        with app.app_context():
            head = _scripts(app).get_current_head()
            previous = _scripts(app).get_revision(head).down_revision
            upgrade(revision=previous)
            before = sa.MetaData()
            before.reflect(engine)
            writer = OldReleaseWriter(engine, before.tables["users"])
            writer.start()
            while not writer.emails and writer.is_alive():
                writer.join(0.05)
            upgrade()
            writer.upgraded.set()
            while writer.after_upgrade < 20 and writer.is_alive():
                writer.join(0.05)
            writer.stop.set()
            writer.join(30)
            assert not writer.errors, writer.errors
            after = sa.MetaData()
            after.reflect(engine)
            with engine.connect() as conn:
                stored = set(conn.scalars(sa.select(after.tables["users"].c.email)))
            assert set(writer.emails) <= stored
            _assert_expand_only(before, after)
    finally:
        engine.dispose()
        _pg_schema_ready.discard(pg_database_url)


def _assert_expand_only(before: sa.MetaData, after: sa.MetaData) -> None:
    for name, table in before.tables.items():
        assert name in after.tables, f"the newest migration drops or renames table {name}"
        new = after.tables[name]
        missing = set(table.columns.keys()) - set(new.columns.keys())
        assert not missing, f"{name}: columns the previous release uses are gone: {missing}"
        for column in new.columns:
            if column.name not in table.columns:
                assert column.nullable or column.server_default is not None, (
                    f"{name}.{column.name} is added NOT NULL without a server default: the "
                    "previous release's INSERTs would fail during the deploy"
                )


def test_the_newest_migration_has_no_contract_step(tmp_path):
    app = make_test_app("sqlite://", tmp_path)
    with app.app_context():
        scripts = _scripts(app)
        script = scripts.get_revision(scripts.get_current_head())
    tree = ast.parse(Path(script.path).read_text(encoding="utf-8"))
    upgrade_def = next(n for n in tree.body if getattr(n, "name", None) == "upgrade")
    calls = {
        node.func.attr
        for node in ast.walk(upgrade_def)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    renames = [
        node
        for node in ast.walk(upgrade_def)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == "alter_column"
        and any(k.arg == "new_column_name" for k in node.keywords)
    ]
    assert not (calls & CONTRACT_OPS) and not renames, (
        f"{Path(script.path).name} drops or renames ({sorted(calls & CONTRACT_OPS)}): ship that "
        "as a contract step in the release after the code stopped using it"
    )
