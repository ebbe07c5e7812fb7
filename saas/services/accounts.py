"""Staff accounts: sign-in checks, creating and changing users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.email_addresses import EMAIL_MESSAGE
from saas.email_addresses import normalise_email as valid_address
from saas.extensions import db
from saas.models.base import utcnow
from saas.models.user import STAFF_ROLES, User, burn_password_check, hash_password, normalise_email
from saas.services import audit
from saas.services.errors import ServiceError
from tenants.models import Tenant


class AccountError(ServiceError):
    """A refused account change; .message is for the person who tried it."""

    MESSAGES = {
        "self": _l("You cannot change your own role or disable your own account."),
        "owner": _l("Only an owner can change an owner or make someone an owner."),
        "role": _l("Unknown role."),
        "email": EMAIL_MESSAGE,
    }


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; the same cost either way."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        burn_password_check(password)
        return None
    if not user.check_password(password) or not user.is_enabled:
        return None
    if user.tenant is not None and not user.tenant.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None


def create_staff(tenant: Tenant, actor: User | None, *, email: str, name: str, role: str, password: str) -> User:
    if role not in STAFF_ROLES:
        raise AccountError("role")
    if valid_address(email) is None:
        raise AccountError("email")
    user = User(tenant_id=tenant.id, email=normalise_email(email), name=name.strip(), role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(tenant.id, actor, "staff.created", user, role=role)
    return user


def add_staff_if_free(
    tenant: Tenant, actor: User | None, *, email: str, name: str, role: str, password: str
) -> User | None:
    """Add a member unless the address already has an account (on any shop); None then.

    The caller answers the same either way, and both ways cost one password hash, so the
    form cannot be used to learn which addresses have accounts elsewhere.
    """
    if email_taken(email):
        hash_password(password)
        return None
    return create_staff(tenant, actor, email=email, name=name, role=role, password=password)


def update_staff(tenant: Tenant, actor: User, member: User, *, role: str, is_enabled: bool) -> User:
    if role not in STAFF_ROLES:
        raise AccountError("role")
    if member.id == actor.id and (role != member.role or not is_enabled):
        raise AccountError("self")
    if member.role == "owner" and actor.role != "owner":
        raise AccountError("owner")
    if role == "owner" and actor.role != "owner":
        raise AccountError("owner")
    changes = {}
    if member.role != role:
        changes["role"] = [member.role, role]
        member.role = role
    if member.is_enabled != is_enabled:
        changes["enabled"] = [member.is_enabled, is_enabled]
        member.is_enabled = is_enabled
        if not is_enabled:
            member.end_sessions()  # a disabled account is signed out everywhere at once
    if changes:
        db.session.flush()
        audit.record(tenant.id, actor, "staff.updated", member, **changes)
    return member
