"""Leak protection: a planet's watermark and copy-protection switches

Revision ID: c4f8a2e6d913
Revises: b6e2f9c4a1d8
Create Date: 2026-12-05 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c4f8a2e6d913"
down_revision = "b6e2f9c4a1d8"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("watermark", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("copy_protection", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.drop_column("copy_protection")
        batch_op.drop_column("watermark")
