"""provider mismatches

What reconciliation finds at the provider that our rows do not account for: stray charges
(refunded once), refunds we had no row for, refunded amounts that disagree.

Revision ID: a1c4e7f20b93
Revises: 5b7e2c91d4a3
Create Date: 2026-12-04 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1c4e7f20b93'
down_revision = '5b7e2c91d4a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_provider_mismatches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('STRAY_CHARGE', 'UNKNOWN_REFUND', 'REFUNDED_AMOUNT', name='mismatchkind', native_enum=False, length=24), nullable=False),
    sa.Column('provider_object_id', sa.String(length=64), nullable=False),
    sa.Column('action', sa.Enum('PENDING', 'REFUNDED', 'RECORDED', 'NEEDS_HUMAN', name='mismatchaction', native_enum=False, length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('provider_refund_id', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.String(length=255), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_provider_mismatches_payment_id_payments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_payment_provider_mismatches_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_provider_mismatches')),
    sa.UniqueConstraint('kind', 'provider_object_id', name=op.f('uq_payment_provider_mismatches_kind_provider_object_id'))
    )
    with op.batch_alter_table('payment_provider_mismatches', schema=None) as batch_op:
        batch_op.create_index('ix_payment_provider_mismatches_list', ['created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('payment_provider_mismatches', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_provider_mismatches_list')

    op.drop_table('payment_provider_mismatches')
