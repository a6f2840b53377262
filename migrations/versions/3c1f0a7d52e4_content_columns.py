"""Columns (专栏): content_columns, their ordered entries and members' reads

Revision ID: 3c1f0a7d52e4
Revises: edd599ebd203
Create Date: 2026-12-05 00:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3c1f0a7d52e4"
down_revision = "a7c4d2e9f1b3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_columns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_content_columns_planet", "content_columns", ["planet_id", "position", "id"]
    )
    op.create_table(
        "content_column_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["column_id"], ["content_columns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", name="uq_content_column_entries_topic"),
    )
    op.create_index(
        "ix_content_column_entries_order",
        "content_column_entries",
        ["column_id", "position", "topic_id"],
    )
    op.create_table(
        "content_column_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("column_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["column_id"], ["content_columns.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "topic_id", name="uq_content_column_reads_user_topic"),
    )
    op.create_index(
        "ix_content_column_reads_progress",
        "content_column_reads",
        ["user_id", "column_id", "read_at"],
    )


def downgrade():
    op.drop_index("ix_content_column_reads_progress", table_name="content_column_reads")
    op.drop_table("content_column_reads")
    op.drop_index("ix_content_column_entries_order", table_name="content_column_entries")
    op.drop_table("content_column_entries")
    op.drop_index("ix_content_columns_planet", table_name="content_columns")
    op.drop_table("content_columns")
