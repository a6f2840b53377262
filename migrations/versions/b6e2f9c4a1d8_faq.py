"""The FAQ: what moderators set on an entry, and the questions an existing answer deflected

Revision ID: b6e2f9c4a1d8
Revises: a3d8e6f1c257
Create Date: 2026-12-05 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b6e2f9c4a1d8"
down_revision = "a3d8e6f1c257"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_faq_entries",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("topic_id"),
    )
    op.create_index(
        "ix_content_faq_entries_planet", "content_faq_entries", ["planet_id", "promoted"]
    )
    op.create_table(
        "content_faq_deflections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "topic_id", name="uq_content_faq_deflections_user_topic"),
    )
    op.create_index(
        "ix_content_faq_deflections_planet",
        "content_faq_deflections",
        ["planet_id", "created_at"],
    )


def downgrade():
    op.drop_index("ix_content_faq_deflections_planet", table_name="content_faq_deflections")
    op.drop_table("content_faq_deflections")
    op.drop_index("ix_content_faq_entries_planet", table_name="content_faq_entries")
    op.drop_table("content_faq_entries")
