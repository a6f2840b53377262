"""Campaigns to member segments, and their recipients (sent once, opened)

Revision ID: d2a9c4e7f631
Revises: c8e1f5a3b2d7
Create Date: 2026-12-05 05:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "d2a9c4e7f631"
down_revision = "c8e1f5a3b2d7"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("coupon_id", sa.Integer(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["coupon_id"], ["payment_coupons.id"]),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_campaigns_planet", "payment_campaigns", ["planet_id", "id"])
    op.create_table(
        "payment_campaign_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["payment_campaigns.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "user_id"),
        sa.UniqueConstraint("token"),
    )


def downgrade():
    op.drop_table("payment_campaign_recipients")
    op.drop_index("ix_payment_campaigns_planet", table_name="payment_campaigns")
    op.drop_table("payment_campaigns")
