"""User: tenant staff (owner/admin/agent), supervisors and platform operators."""
from __future__ import annotations

from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import Timestamps, UTCDateTime
from tenants.models import Tenant

# argon2id with the library's RFC 9106 low-memory defaults.
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

STAFF_ROLES = ("owner", "admin", "agent")
PLATFORM_ROLES = ("supervisor", "operator")
ROLES = STAFF_ROLES + PLATFORM_ROLES


class User(UserMixin, Timestamps, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role IN ('owner','admin','agent') AND tenant_id IS NOT NULL)"
            " OR (role IN ('supervisor','operator') AND tenant_id IS NULL)",
            name="role_tenant",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    tenant: Mapped[Tenant | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role in ("owner", "admin")

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)

    def check_password(self, password: str) -> bool:
        try:
            ok = _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and _hasher.check_needs_rehash(self.password_hash):
            self.set_password(password)
        return ok

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def burn_password_check(password: str) -> None:
    """Spend the time of one verification for an unknown account."""
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def normalise_email(email: str) -> str:
    return email.strip().lower()
