"""planet renewal grace days

The dunning grace period becomes a per-planet setting (default 7 days, covering the last
auto-renewal retry). Existing planets get the default.

Revision ID: 5b7e2c91d4a3
Revises: e30236b0629b
Create Date: 2026-12-04 17:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e2c91d4a3'
down_revision = 'e30236b0629b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('planets', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('renewal_grace_days', sa.Integer(), server_default='7', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('planets', schema=None) as batch_op:
        batch_op.drop_column('renewal_grace_days')
