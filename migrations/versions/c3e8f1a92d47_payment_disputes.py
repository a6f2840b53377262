"""payment disputes

Chargebacks: one row per provider dispute, applied under the payment's lock.

Revision ID: c3e8f1a92d47
Revises: b7d2e9a41c05
Create Date: 2026-12-04 22:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3e8f1a92d47'
down_revision = 'b7d2e9a41c05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payment_disputes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('provider_dispute_id', sa.String(length=64), nullable=False),
        sa.Column('amount', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=64), nullable=False),
        sa.Column(
            'status',
            sa.Enum('OPEN', 'WON', 'LOST', name='disputestatus', native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_payment_disputes_amount_positive')),
        sa.ForeignKeyConstraint(
            ['payment_id'], ['payments.id'],
            name=op.f('fk_payment_disputes_payment_id_payments'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_disputes')),
        sa.UniqueConstraint(
            'provider_dispute_id', name=op.f('uq_payment_disputes_provider_dispute_id')
        ),
    )
    with op.batch_alter_table('payment_disputes', schema=None) as batch_op:
        batch_op.create_index('ix_payment_disputes_payment', ['payment_id'], unique=False)


def downgrade():
    with op.batch_alter_table('payment_disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_disputes_payment')
    op.drop_table('payment_disputes')
