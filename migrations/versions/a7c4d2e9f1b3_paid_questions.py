"""Paid questions (付费提问) and peeks (偷看): the question's price, deadline and privacy on
topics, each answerer's offer, peeks, the payment's topic, the owner's question settings

Revision ID: a7c4d2e9f1b3
Revises: edd599ebd203
Create Date: 2026-12-05 00:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a7c4d2e9f1b3"
down_revision = "f3a9c2d81e64"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paid_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("price", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("answer_private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_topics_paid_due", ["paid_status", "due_at"], unique=False)
    op.create_table(
        "question_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("price > 0", name="price_positive"),
        sa.ForeignKeyConstraint(["planet_id"], ["planets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("planet_id", "user_id"),
    )
    op.create_table(
        "answer_peeks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", "user_id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_payments_topic_id_topics", "topics", ["topic_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_unique_constraint(
            "uq_payments_topic_user_kind", ["topic_id", "user_id", "kind"]
        )
    with op.batch_alter_table("payment_planet_pricing", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("question_deadline_hours", sa.Integer(), nullable=False, server_default="48")
        )
        batch_op.add_column(
            sa.Column(
                "guest_question_share_bps", sa.Integer(), nullable=False, server_default="7000"
            )
        )
        batch_op.add_column(
            sa.Column("peek_price", sa.Integer(), nullable=False, server_default="100")
        )
        batch_op.create_check_constraint(
            "q_deadline", "question_deadline_hours >= 1 AND question_deadline_hours <= 720"
        )
        batch_op.create_check_constraint(
            "q_share", "guest_question_share_bps >= 0 AND guest_question_share_bps <= 10000"
        )


def downgrade():
    with op.batch_alter_table("payment_planet_pricing", schema=None) as batch_op:
        batch_op.drop_constraint("q_share", type_="check")
        batch_op.drop_constraint("q_deadline", type_="check")
        batch_op.drop_column("peek_price")
        batch_op.drop_column("guest_question_share_bps")
        batch_op.drop_column("question_deadline_hours")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint("uq_payments_topic_user_kind", type_="unique")
        batch_op.drop_constraint("fk_payments_topic_id_topics", type_="foreignkey")
        batch_op.drop_column("topic_id")
    op.drop_table("answer_peeks")
    op.drop_table("question_offers")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index("ix_topics_paid_due")
        batch_op.drop_column("answer_private")
        batch_op.drop_column("due_at")
        batch_op.drop_column("price")
        batch_op.drop_column("paid_status")
