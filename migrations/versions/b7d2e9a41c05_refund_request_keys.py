"""refund request keys

A refund form carries a submission key; a second submission of one form is the same refund.

Revision ID: b7d2e9a41c05
Revises: a1c4e7f20b36
Create Date: 2026-12-04 21:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d2e9a41c05'
down_revision = 'a1c4e7f20b36'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_key', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_payment_refunds_payment_id_request_key'), ['payment_id', 'request_key']
        )


def downgrade():
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_payment_refunds_payment_id_request_key'), type_='unique'
        )
        batch_op.drop_column('request_key')
