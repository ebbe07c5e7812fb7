"""evidence processing status

Uploaded photos wait in quarantine for the evidence worker: a status (processing, ready,
refused), the refusal's code, and the attempts and lease the worker claims them with.
Existing rows were cleaned when uploaded: they are ready.

Downgrading refuses while any photo is processing or refused: the older schema cannot say "do not
serve this file", and upgrading again would mark every row ready, serving a quarantined original
(with its metadata) or a refused file as a clean photo.

Revision ID: 5e1d0c9a7b21
Revises: a7c31e5d9b42
Create Date: 2026-12-05 15:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

import saas.models.base

# revision identifiers, used by Alembic.
revision = "5e1d0c9a7b21"
down_revision = "a7c31e5d9b42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=12), server_default="ready", nullable=False))
        batch_op.add_column(sa.Column("refusal", sa.String(length=20), server_default="", nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("lease_expires_at", saas.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_evidence_status_lease_expires_at", ["status", "lease_expires_at"], unique=False)


def downgrade():
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM evidence WHERE status <> 'ready'")).scalar()
    if waiting:
        raise RuntimeError(
            f"Not downgraded: {waiting} evidence photo(s) are processing or refused, which the older schema "
            "cannot represent (it would serve them as cleaned photos). Let the evidence worker finish "
            "(`flask --app wsgi worker -q evidence`) and, for refused photos, decide whether to delete their "
            "rows and files; then downgrade again."
        )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_status_lease_expires_at")
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("refusal")
        batch_op.drop_column("status")
