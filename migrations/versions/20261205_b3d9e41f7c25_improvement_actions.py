"""improvement actions

The weekly and monthly review (复盘): actions recorded against a top problem, with an owner and a due
date, open until marked done. The review pack e-mails themselves are outbox rows (their idempotency key
names the shop, the period and the manager), so they need no table of their own.

Revision ID: b3d9e41f7c25
Revises: 05c9f1b9cfb0
Create Date: 2026-12-05 19:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

import saas.models.base

# revision identifiers, used by Alembic.
revision = "b3d9e41f7c25"
down_revision = "05c9f1b9cfb0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "improvement_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_key", sa.String(length=200), nullable=False),
        sa.Column("problem_label", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", saas.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", saas.models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", saas.models.base.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_improvement_actions_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_improvement_actions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_improvement_actions_closed_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_improvement_actions_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_improvement_actions")),
    )
    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_improvement_actions_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_improvement_actions_tenant_status_due", ["tenant_id", "status", "due_date"], unique=False
        )


def downgrade():
    with op.batch_alter_table("improvement_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_improvement_actions_tenant_status_due")
        batch_op.drop_index(batch_op.f("ix_improvement_actions_tenant_id"))
    op.drop_table("improvement_actions")
