"""The owner's weekly report: its weekday on planets, and topic reads per member and day

Revision ID: c8e1f5a3b2d7
Revises: f4a7c2d9e815
Create Date: 2026-12-05 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c8e1f5a3b2d7"
down_revision = "f4a7c2d9e815"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weekly_report_day", sa.Integer(), server_default="0", nullable=True)
        )
    op.create_table(
        "eng_topic_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", "user_id", "day"),
    )
    op.create_index("ix_eng_topic_reads_day", "eng_topic_reads", ["planet_id", "day"])


def downgrade():
    op.drop_index("ix_eng_topic_reads_day", table_name="eng_topic_reads")
    op.drop_table("eng_topic_reads")
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.drop_column("weekly_report_day")
