"""A member muted until a date (moderation)

Revision ID: f7c2a4b9d013
Revises: e5b3d1a8c942
Create Date: 2026-12-05 05:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f7c2a4b9d013"
down_revision = "e5b3d1a8c942"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("muted_until")
