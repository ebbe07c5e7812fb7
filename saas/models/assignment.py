"""Who takes a shop's new cases: its round-robin setting and where the rotation stands."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from saas.extensions import db
from tenants.scoping import TenantScoped


class AssignmentRotation(TenantScoped, db.Model):
    """One row per shop: whether new cases are handed out in turn, and to whom the last one went.

    The row is the rotation's memory (it survives restarts) and its lock: every web process that files a
    case takes it FOR UPDATE, so two processes never hand two cases to the same turn.
    """

    __tablename__ = "assignment_rotations"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
