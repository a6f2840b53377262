"""Drafts and scheduled posts: content_drafts

Revision ID: 8b4e6d2a9f17
Revises: 3c1f0a7d52e4
Create Date: 2026-12-05 00:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "8b4e6d2a9f17"
down_revision = "3c1f0a7d52e4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachment_keys", sa.String(length=1000), nullable=False),
        sa.Column("announce", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("DRAFT", "SCHEDULED", "PUBLISHED", "FAILED", name="draftstate",
                    native_enum=False, length=16),
            nullable=False,
        ),  # fmt: skip
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id"),
    )
    op.create_index("ix_content_drafts_due", "content_drafts", ["state", "publish_at", "id"])
    op.create_index(
        "ix_content_drafts_author", "content_drafts", ["planet_id", "author_id", "state", "id"]
    )
    op.create_index(
        "ix_content_drafts_announcements", "content_drafts", ["planet_id", "announce", "state"]
    )


def downgrade():
    op.drop_index("ix_content_drafts_announcements", table_name="content_drafts")
    op.drop_index("ix_content_drafts_author", table_name="content_drafts")
    op.drop_index("ix_content_drafts_due", table_name="content_drafts")
    op.drop_table("content_drafts")
