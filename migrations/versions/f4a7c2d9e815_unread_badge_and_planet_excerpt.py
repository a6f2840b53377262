"""The unread badge as a counter on users, and each planet's plain excerpt stored

users.unread_notifications is kept by the notification writer in the same transaction as the
notifications (no page counts them); planets.excerpt is the description as plain text, stored
when the description is saved (discover and the landing render no Markdown for it). Both are
filled from the existing rows.

Revision ID: f4a7c2d9e815
Revises: edd599ebd203
Create Date: 2026-12-05 00:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f4a7c2d9e815"
down_revision = "8b4e6d2a9f17"
branch_labels = None
depends_on = None

EXCERPT_CHARS = 160


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unread_notifications", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("excerpt", sa.String(EXCERPT_CHARS), server_default="", nullable=False)
        )
    op.execute(
        "UPDATE users SET unread_notifications = (SELECT count(*) FROM notifications"
        " WHERE notifications.user_id = users.id AND notifications.read_at IS NULL)"
    )
    _backfill_excerpts()


def _backfill_excerpts():
    from planet.text import plain_excerpt

    bind = op.get_bind()
    planets = sa.table("planets", sa.column("id"), sa.column("description"), sa.column("excerpt"))
    rows = bind.execute(sa.select(planets.c.id, planets.c.description)).all()
    for planet_id, description in rows:
        bind.execute(
            planets.update()
            .where(planets.c.id == planet_id)
            .values(excerpt=plain_excerpt(description or "", EXCERPT_CHARS))
        )


def downgrade():
    with op.batch_alter_table("planets", schema=None) as batch_op:
        batch_op.drop_column("excerpt")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("unread_notifications")
