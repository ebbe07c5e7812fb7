"""status CHECK constraints

Every status column holds one of its StrEnum's values (saas/models/statuses.py); the database
refuses anything else. SQLite cannot add a constraint to a table, so there each table is rebuilt
(batch mode); PostgreSQL adds them in place.

The value lists are written out here, not imported: a migration must keep meaning what it meant
when it was written, whatever the enums say later.

Revision ID: c4e8a1f7b302
Revises: c3d4e5f6a7b8
Create Date: 2026-12-05 19:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e8a1f7b302"
down_revision = "c3d4e5f6a7b8"
branch_labels = None
depends_on = None

CASE = (
    "submitted",
    "accepted",
    "info_requested",
    "awaiting_return",
    "return_received",
    "inspected",
    "verified",
    "proposed",
    "resolved",
    "rejected",
    "closed",
)
# table -> [(column, values, nullable)]
CHECKS = {
    "cases": [("status", CASE, False), ("resume_status", CASE, True)],
    "evidence": [("status", ("processing", "ready", "refused"), False)],
    "notifications": [("status", ("pending", "sending", "sent", "retry", "dead", "superseded", "cancelled"), False)],
    "sla_clocks": [("state", ("running", "paused", "met", "breached"), False)],
    "surveys": [("status", ("scheduled", "invited", "answered", "cancelled", "opted_out", "expired"), False)],
    "follow_up_tasks": [("status", ("open", "done"), False)],
    "platform_complaints": [("status", ("new", "forwarded", "merchant_answered", "answered"), False)],
    "recalls": [("status", ("running", "done"), False)],
    "policy_versions": [("status", ("draft", "published"), False)],
}


def _condition(column, values, nullable):
    listed = ", ".join(f"'{v}'" for v in values)
    condition = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


def upgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values, nullable in checks:
                batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), _condition(column, values, nullable))


def downgrade():
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, _values, _nullable in checks:
                batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
