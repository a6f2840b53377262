"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from planet.extensions import db
from planet.models import migration_filter
from tests.conftest import make_test_app


def _schema_drift(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "render_as_batch": True,
                "include_object": migration_filter(connection.dialect.name),
            },
        )
        return compare_metadata(context, db.metadata)


def _check(app):
    with app.app_context():
        upgrade()
        drift = _schema_drift(db.engine)
        assert drift == [], f"models and migrations differ: {drift}"
        downgrade(revision="base")
        upgrade()
        db.session.remove()
        db.engine.dispose()


def test_migrations_match_models_on_sqlite(tmp_path):
    _check(make_test_app(f"sqlite:///{tmp_path / 'migrated.db'}", tmp_path))


@pytest.mark.postgres
def test_migrations_match_models_on_postgres(tmp_path, pg_database_url):
    import sqlalchemy as sa

    engine = sa.create_engine(pg_database_url)
    with engine.begin() as conn:  # the shared test database may hold create_all tables
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    try:
        _check(make_test_app(pg_database_url, tmp_path))
    finally:
        from tests.conftest import _pg_schema_ready

        _pg_schema_ready.discard(pg_database_url)
