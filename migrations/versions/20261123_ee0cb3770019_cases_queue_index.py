"""cases queue index

The agent queue (open cases of a shop, in queue order) is read off a partial index on open cases, so
its first page costs the same however many cases the shop has.

Revision ID: ee0cb3770019
Revises: 06f57017558f
Create Date: 2026-11-23 08:23:29.702676

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ee0cb3770019"
down_revision = "06f57017558f"
branch_labels = None
depends_on = None

COLUMNS = ["tenant_id", sa.literal_column("priority DESC"), "due_at", "created_at", "id"]
OPEN = sa.text("status != 'closed'")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # cases is big and written all day: build without blocking intake (CONCURRENTLY cannot run in a
        # transaction). If the build fails it leaves an INVALID index: drop it before running this again.
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_cases_queue", "cases", COLUMNS, unique=False, postgresql_where=OPEN, postgresql_concurrently=True
            )
    else:
        op.create_index("ix_cases_queue", "cases", COLUMNS, unique=False, sqlite_where=OPEN)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index("ix_cases_queue", table_name="cases", postgresql_concurrently=True)
    else:
        op.drop_index("ix_cases_queue", table_name="cases")
