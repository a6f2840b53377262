"""A deferred job remembers the request that deferred it: worker_pending_jobs.request_id

Revision ID: 7b2d4c9e1f30
Revises: edd599ebd203
Create Date: 2026-12-05 00:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "7b2d4c9e1f30"
down_revision = "edd599ebd203"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("worker_pending_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade():
    with op.batch_alter_table("worker_pending_jobs", schema=None) as batch_op:
        batch_op.drop_column("request_id")
