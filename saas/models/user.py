"""User: tenant staff (owner/admin/agent), supervisors and platform operators."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.email_addresses import account_email
from saas.extensions import db
from saas.models.base import Timestamps, UTCDateTime
from tenants.models import Tenant


@lru_cache(maxsize=4)
def _hasher_for(params: tuple) -> PasswordHasher:
    return PasswordHasher(**dict(params))


def _hasher() -> PasswordHasher:
    """argon2id; RFC 9106 low-memory defaults unless the config lowers them (tests only)."""
    params = current_app.config.get("ARGON2_PARAMS") if has_app_context() else None
    return _hasher_for(tuple(sorted((params or {}).items())))


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verified against when the email is unknown, so both paths cost the same.
    return hasher.hash("not-a-real-password")


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
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the id every session cookie carries: raising it ends all of the user's sessions
    # server-side (sign-out, a new password, a disabled account), whatever copies of a cookie exist.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    tenant: Mapped[Tenant | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every session signed in as this user stops working at its next request."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def can_manage(self) -> bool:
        return self.role in ("owner", "admin")

    def set_password(self, password: str) -> None:
        if self.password_hash:  # a changed password signs out every session that knew the old one
            self.end_sessions()
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        hasher = _hasher()
        try:
            ok = hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and hasher.check_needs_rehash(self.password_hash):
            self.password_hash = hasher.hash(password)  # the same password: sessions stay
        return ok

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def burn_password_check(password: str) -> None:
    """Spend the time of one verification for an unknown account."""
    hasher = _hasher()
    try:
        hasher.verify(_dummy_hash(hasher), password)
    except VerificationError:
        pass


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def normalise_email(email: str) -> str:
    """The key an account is stored and found by (saas.email_addresses.account_email)."""
    return account_email(email)
