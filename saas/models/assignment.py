"""Who takes a shop's new cases: its round-robin setting, where the rotation stands, who is available."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from saas.caches.tokens import ShopData
from saas.extensions import db
from tenants.scoping import TenantScoped


class AssignmentRotation(ShopData, TenantScoped, db.Model):
    """One row per shop: whether new cases are handed out in turn, and to whom the last one went.

    The row is the rotation's memory (it survives restarts) and its lock: every web process that files a
    case in a shop with the setting on takes it FOR UPDATE, so two processes never hand out the same turn.
    The setting is part of the shop's cached data (ShopData: saving it drops the shop's cache token, so each
    process re-reads it); the turn moves with a Core UPDATE that leaves the token alone.
    """

    __tablename__ = "assignment_rotations"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AvailableStaff(TenantScoped, db.Model):
    """A staff member who takes new cases now (a row while available, none otherwise).

    Kept beside `users`, not in it: every page reads the signed-in user, and a column there would make the
    code of this revision unable to serve a database one migration older.
    """

    __tablename__ = "available_staff"
    __table_args__ = (UniqueConstraint("user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
