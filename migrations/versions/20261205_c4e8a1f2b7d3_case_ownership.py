"""case ownership: staff availability and the shop's round-robin rotation

Agents claim cases and managers assign them (cases.assignee_id, already there); new cases may be
handed out in turn among the staff marked available. Availability lives in its own table, not in
`users`, so that this revision's code still serves a database one migration older.

Revision ID: c4e8a1f2b7d3
Revises: b3d9e41f7c25
Create Date: 2026-12-05 19:10:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e8a1f2b7d3"
down_revision = "b3d9e41f7c25"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignment_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("auto_assign", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_user_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["last_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id"),
    )
    with op.batch_alter_table("assignment_rotations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_rotations_tenant_id"), ["tenant_id"], unique=False)
    op.create_table(
        "available_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    with op.batch_alter_table("available_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_available_staff_tenant_id"), ["tenant_id"], unique=False)
    # The "my cases" and "unassigned" queues read a shop's open cases by assignee.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_assignee", ["tenant_id", "assignee_id"], unique=False)


def downgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_assignee")
    with op.batch_alter_table("available_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_available_staff_tenant_id"))
    op.drop_table("available_staff")
    with op.batch_alter_table("assignment_rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_rotations_tenant_id"))
    op.drop_table("assignment_rotations")
