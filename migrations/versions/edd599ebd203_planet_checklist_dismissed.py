"""The owner's first-hour checklist can be put away: planets.checklist_dismissed_at

Revision ID: edd599ebd203
Revises: 19218e3daf02
Create Date: 2026-12-04 22:01:45.242434

"""

import sqlalchemy as sa
from alembic import op

revision = "edd599ebd203"
down_revision = "19218e3daf02"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checklist_dismissed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.drop_column("checklist_dismissed_at")
