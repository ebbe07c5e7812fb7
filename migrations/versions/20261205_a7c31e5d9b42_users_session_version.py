"""users session version

A number in every session's user id: raising it ends all of a user's sessions server-side
(sign-out, a changed password, a disabled account).

Revision ID: a7c31e5d9b42
Revises: 4b1e9c2d7a10
Create Date: 2026-12-05 15:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c31e5d9b42"
down_revision = "4b1e9c2d7a10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
