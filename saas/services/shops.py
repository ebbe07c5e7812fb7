"""Shops (tenants) as the platform operator sees them: opening one with its owner, suspending, reactivating.

Plain functions that flush; the request commits. Refusals raise ShopError with the field they concern.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from saas.extensions import db
from saas.models.user import User
from saas.services import accounts, audit
from saas.services.errors import ServiceError
from tenants.models import Tenant
from tenants.scoping import tenant_context

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]")
# Path names the platform uses (or will) outside any tenant; the URL map adds whatever is registered.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "supervise",
        "login",
        "logout",
        "api",
        "s",
        "dev",
        "healthz",
        "static",
        "console",
        "track",
        "cases",
        "policy",
        "complaints",
        "r",
        "www",
        "help",
        "about",
        "account",
        "assets",
        "media",
        "uploads",
        "public",
    }
)
LOCALES = ("zh_Hans", "en")


class ShopError(ServiceError):
    """A refused shop change; .field names the form field it concerns."""

    MESSAGES = {
        "slug_format": _l(
            "Use 2–40 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
        ),
        "slug_reserved": _l("This name is reserved by the platform. Please choose another."),
        "slug_taken": _l("This slug is already taken."),
        "timezone": _l("Unknown time zone: use a name like Asia/Shanghai."),
        "owner_email_taken": _l("This email already has an account."),
    }
    FIELDS = {
        "slug_format": "slug",
        "slug_reserved": "slug",
        "slug_taken": "slug",
        "timezone": "timezone",
        "owner_email_taken": "owner_email",
    }


def reserved_slugs() -> set[str]:
    """RESERVED_SLUGS and the first segment of every fixed route: a shop may not hide a platform page."""
    taken = set(RESERVED_SLUGS)
    for rule in current_app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            taken.add(first.lower())
    return taken


def check_slug(slug: str) -> None:
    slug = (slug or "").strip()
    if not SLUG_RE.fullmatch(slug):
        raise ShopError("slug_format")
    if slug in reserved_slugs():
        raise ShopError("slug_reserved")
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise ShopError("slug_taken")


def check_timezone(name: str) -> None:
    if (name or "").strip() not in available_timezones():
        raise ShopError("timezone")


def check_owner_email(email: str) -> None:
    if accounts.email_taken(email or ""):
        raise ShopError("owner_email_taken")


def create_shop(
    operator: User,
    *,
    slug: str,
    name_zh: str,
    name_en: str,
    contact_phone: str,
    contact_email: str,
    timezone: str,
    default_locale: str,
    brand_colour: str,
    owner_name: str,
    owner_email: str,
    owner_password: str,
) -> Tenant:
    """The shop and its owner account, audited, flushed in the caller's transaction.

    The same slug or email taken at the same moment elsewhere surfaces as IntegrityError at flush or commit.
    """
    check_slug(slug)
    check_timezone(timezone)
    check_owner_email(owner_email)
    tenant = Tenant(
        slug=slug.strip(),
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        contact_phone=(contact_phone or "").strip(),
        contact_email=(contact_email or "").strip(),
        timezone=str(ZoneInfo(timezone.strip())),
        default_locale=default_locale if default_locale in LOCALES else "zh_Hans",
        brand_colour=brand_colour.strip().lower(),
        is_active=True,
    )
    db.session.add(tenant)
    db.session.flush()
    with tenant_context(tenant.id):
        accounts.create_staff(
            tenant, operator, email=owner_email, name=owner_name, role="owner", password=owner_password
        )
        audit.record(tenant.id, operator, "tenant.created", tenant, slug=tenant.slug)
    return tenant


def _set_active(tenant: Tenant, operator: User, active: bool) -> bool:
    if tenant.is_active == active:
        return False
    tenant.is_active = active
    db.session.flush()
    audit.record(tenant.id, operator, "tenant.reactivated" if active else "tenant.suspended", tenant)
    return True


def suspend(tenant: Tenant, operator: User) -> bool:
    """Close the shop's public pages and console and its staff's sign-in; False when it was suspended already."""
    return _set_active(tenant, operator, False)


def reactivate(tenant: Tenant, operator: User) -> bool:
    """Open a suspended shop again; False when it was active already."""
    return _set_active(tenant, operator, True)


def overview() -> tuple[list[Tenant], dict[int, int]]:
    """Every shop by slug, and each one's number of staff accounts."""
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
    staff = dict(
        db.session.execute(
            select(User.tenant_id, func.count(User.id)).where(User.tenant_id.is_not(None)).group_by(User.tenant_id)
        ).all()
    )
    return list(tenants), staff
