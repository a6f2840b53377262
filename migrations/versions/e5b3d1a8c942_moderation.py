"""Moderation: a planet's sensitive words, held submissions and the audit list

Revision ID: e5b3d1a8c942
Revises: d2a9c4e7f631
Create Date: 2026-12-05 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e5b3d1a8c942"
down_revision = "d2a9c4e7f631"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "moderation_word_lists",
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("planet_id"),
    )
    op.create_table(
        "moderation_held_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("word", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_ref", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_moderation_held_queue", "moderation_held_posts", ["planet_id", "status", "id"]
    )
    op.create_index("ix_moderation_held_author", "moderation_held_posts", ["author_id", "status"])
    op.create_table(
        "moderation_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_moderation_audit_planet", "moderation_audit", ["planet_id", "id"])


def downgrade():
    op.drop_index("ix_moderation_audit_planet", table_name="moderation_audit")
    op.drop_table("moderation_audit")
    op.drop_index("ix_moderation_held_author", table_name="moderation_held_posts")
    op.drop_index("ix_moderation_held_queue", table_name="moderation_held_posts")
    op.drop_table("moderation_held_posts")
    op.drop_table("moderation_word_lists")
