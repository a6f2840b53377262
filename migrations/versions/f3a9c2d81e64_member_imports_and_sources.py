"""Imports of existing members, their one-time invitations, gift codes, and where a
membership came from

Revision ID: f3a9c2d81e64
Revises: edd599ebd203
Create Date: 2026-12-05 00:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "f3a9c2d81e64"
down_revision = "df3bc838e835"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PREVIEW", "RUNNING", "DONE", name="importstatus", native_enum=False,
                    length=16),
            nullable=False,
        ),
        sa.Column("rows_json", sa.Text(), nullable=False),
        sa.Column("report_json", sa.Text(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("processed_rows", sa.Integer(), nullable=False),
        sa.Column("invited_count", sa.Integer(), nullable=False),
        sa.Column("already_invited_count", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"],
            name=op.f("fk_member_imports_created_by_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["planet_id"], ["planets.id"],
            name=op.f("fk_member_imports_planet_id_planets"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_imports")),
        sa.UniqueConstraint(
            "planet_id", "content_hash", name=op.f("uq_member_imports_planet_id_content_hash")
        ),
    )  # fmt: skip
    op.create_table(
        "member_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("contact_kind", sa.String(length=8), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"], ["users.id"],
            name=op.f("fk_member_invitations_accepted_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["member_imports.id"],
            name=op.f("fk_member_invitations_import_id_member_imports"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["planet_id"], ["planets.id"],
            name=op.f("fk_member_invitations_planet_id_planets"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_invitations")),
        sa.UniqueConstraint(
            "planet_id", "contact", "expires_at",
            name=op.f("uq_member_invitations_planet_id_contact_expires_at"),
        ),
    )  # fmt: skip
    with op.batch_alter_table("member_invitations", schema=None) as batch_op:
        batch_op.create_index("ix_member_invitations_import", ["import_id", "id"], unique=False)
    op.create_table(
        "payment_gift_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("planet_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("recipient_email", sa.String(length=254), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"],
            name=op.f("fk_payment_gift_codes_buyer_id_users"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"],
            name=op.f("fk_payment_gift_codes_payment_id_payments"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["planet_id"], ["planets.id"],
            name=op.f("fk_payment_gift_codes_planet_id_planets"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["redeemed_by_id"], ["users.id"],
            name=op.f("fk_payment_gift_codes_redeemed_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_gift_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_payment_gift_codes_code")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_gift_codes_payment_id")),
    )  # fmt: skip
    with op.batch_alter_table("payment_gift_codes", schema=None) as batch_op:
        batch_op.create_index("ix_payment_gift_codes_buyer", ["buyer_id", "id"], unique=False)
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source",
                sa.Enum("PAID", "IMPORT", "COMP", "GIFT", name="membershipsource",
                        native_enum=False, length=16),
                server_default="PAID",
                nullable=False,
            )
        )  # fmt: skip
        batch_op.create_index("ix_memberships_planet_source", ["planet_id", "source"])


def downgrade():
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("ix_memberships_planet_source")
        batch_op.drop_column("source")
    with op.batch_alter_table("payment_gift_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_gift_codes_buyer")
    op.drop_table("payment_gift_codes")
    with op.batch_alter_table("member_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_member_invitations_import")
    op.drop_table("member_invitations")
    op.drop_table("member_imports")
