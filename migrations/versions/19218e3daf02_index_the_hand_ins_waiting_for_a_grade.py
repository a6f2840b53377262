"""Index the hand-ins waiting for a grade

The planet header counts a planet's ungraded submissions for the owner and guests
(planet/planets/inbox.py): an index range, not the planet's every hand-in.

Revision ID: 19218e3daf02
Revises: c3e8f1a92d47
Create Date: 2026-12-04 21:57:07.244543

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '19218e3daf02'
down_revision = 'c3e8f1a92d47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('eng_submissions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_eng_submissions_ungraded', ['planet_id', 'graded_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('eng_submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_eng_submissions_ungraded')
