"""Join screening for free planets: the switch, the questions, and requests to join

Revision ID: a3d8e6f1c257
Revises: f7c2a4b9d013
Create Date: 2026-12-05 05:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a3d8e6f1c257"
down_revision = "f7c2a4b9d013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("join_approval", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("join_questions", sa.Text(), server_default="", nullable=False)
        )
    op.create_table(
        "member_join_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_member_join_applications_queue",
        "member_join_applications",
        ["planet_id", "status", "id"],
    )
    op.create_index(
        "uq_member_join_applications_pending",
        "member_join_applications",
        ["planet_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade():
    op.drop_index("uq_member_join_applications_pending", table_name="member_join_applications")
    op.drop_index("ix_member_join_applications_queue", table_name="member_join_applications")
    op.drop_table("member_join_applications")
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.drop_column("join_questions")
        batch_op.drop_column("join_approval")
