"""current_tenant: resolved from the URL's <slug> before anything else runs."""
from __future__ import annotations

from flask import abort, current_app, g
from sqlalchemy import select
from werkzeug.local import LocalProxy

from saas.extensions import db
from tenants.models import Tenant
from tenants.scoping import bind_tenant, unbind_tenant


def _get_current_tenant() -> Tenant | None:
    return g.get("tenant")


current_tenant: Tenant = LocalProxy(_get_current_tenant)  # type: ignore[assignment]


def resolve_tenant(slug: str) -> Tenant:
    """Load the active tenant for a slug and bind it to this request, or 404."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None or not tenant.is_active:
        abort(404)
    g.tenant = tenant
    g.tenant_token = bind_tenant(tenant.id)
    return tenant


def pull_slug(endpoint, values) -> None:
    """url_value_preprocessor for blueprints mounted under /<slug>."""
    if values is not None and "slug" in values:
        resolve_tenant(values.pop("slug"))


def push_slug(endpoint, values) -> None:
    """url_defaults: links inside a tenant's pages keep its slug."""
    tenant = g.get("tenant")
    if tenant is not None and "slug" not in values:
        if current_app.url_map.is_endpoint_expecting(endpoint, "slug"):
            values["slug"] = tenant.slug


def release_tenant(exc=None) -> None:
    g.pop("tenant", None)
    token = g.pop("tenant_token", None)
    if token is not None:
        unbind_tenant(token)
