"""coupon attempts

Every coupon code tried at checkout or on the price preview, for the owner's audit.

Revision ID: a1c4e7f20b36
Revises: a1c4e7f20b93
Create Date: 2026-12-04 19:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1c4e7f20b36'
down_revision = 'a1c4e7f20b93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'payment_coupon_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('planet_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('code_masked', sa.String(length=40), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['planet_id'], ['planets.id'],
            name=op.f('fk_payment_coupon_attempts_planet_id_planets'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_payment_coupon_attempts_user_id_users'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_coupon_attempts')),
    )
    with op.batch_alter_table('payment_coupon_attempts', schema=None) as batch_op:
        batch_op.create_index(
            'ix_payment_coupon_attempts_planet_at', ['planet_id', 'id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_payment_coupon_attempts_user_id'), ['user_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('payment_coupon_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_coupon_attempts_user_id'))
        batch_op.drop_index('ix_payment_coupon_attempts_planet_at')
    op.drop_table('payment_coupon_attempts')
