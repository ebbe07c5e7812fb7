"""cases: the queue order over all cases, and trigram search

The agent queue's "All" view, any one status (closed cases are most of a big shop's) and deep pages read
cases in queue order off `ix_cases_all` instead of sorting all of a shop's cases (≈ 0.3 s at a million,
5 s for page 200). On PostgreSQL the search box's substring match is served by a trigram GIN index
(`pg_trgm`, in PostgreSQL's contrib, trusted: a database owner may create it), 1.4 s → 20–40 ms for a
phone number at a million cases.

Revision ID: 4b1e9c2d7a10
Revises: ee0cb3770019
Create Date: 2026-11-23 14:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "4b1e9c2d7a10"
down_revision = "ee0cb3770019"
branch_labels = None
depends_on = None

COLUMNS = ["tenant_id", sa.literal_column("priority DESC"), "due_at", "created_at", "id"]
SEARCHED = ["number", "order_number", "customer_name", "mobile", "email"]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # Built without blocking intake (CONCURRENTLY cannot run in a transaction). A failed build leaves an
        # INVALID index: drop it before running this again.
        with op.get_context().autocommit_block():
            op.create_index("ix_cases_all", "cases", COLUMNS, unique=False, postgresql_concurrently=True)
            op.create_index(
                "ix_cases_search",
                "cases",
                SEARCHED,
                unique=False,
                postgresql_using="gin",
                postgresql_ops={c: "gin_trgm_ops" for c in SEARCHED},
                postgresql_concurrently=True,
            )
    else:
        op.create_index("ix_cases_all", "cases", COLUMNS, unique=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.drop_index("ix_cases_search", table_name="cases", postgresql_concurrently=True)
            op.drop_index("ix_cases_all", table_name="cases", postgresql_concurrently=True)
    else:
        op.drop_index("ix_cases_all", table_name="cases")
