"""A planet's content version, bumped by triggers on every write a reading page shows

Revision ID: e5b3c7a9d241
Revises: d7a1e3c5b824
Create Date: 2026-12-05 14:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5b3c7a9d241"
down_revision = "d7a1e3c5b824"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("planets") as batch:
        batch.add_column(
            sa.Column("content_version", sa.Integer(), nullable=False, server_default="0")
        )
    from planet.planets import content_version

    # The tables as they stand at this revision; a later migration that adds a table calls
    # install() again.
    metadata = sa.MetaData()
    metadata.reflect(bind=op.get_bind())
    content_version.install(op.get_bind(), metadata)


def downgrade():
    bind = op.get_bind()
    metadata = sa.MetaData()
    metadata.reflect(bind=bind)
    for table in metadata.sorted_tables:
        for statement in _drops(bind.dialect.name, table.name):
            bind.exec_driver_sql(statement)
    with op.batch_alter_table("planets") as batch:
        batch.drop_column("content_version")


def _drops(dialect: str, table: str):
    if dialect == "postgresql":
        yield f'DROP TRIGGER IF EXISTS pcv_{table} ON "{table}"'
    else:
        for suffix in ("", "_ins", "_upd", "_del"):
            yield f"DROP TRIGGER IF EXISTS pcv_{table}{suffix}"
