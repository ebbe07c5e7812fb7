"""current_tenant: resolved from the URL's <slug> before anything else runs."""

from __future__ import annotations

from flask import abort, current_app, g
from werkzeug.local import LocalProxy

from saas.caches import tenant_rows
from tenants.models import Tenant
from tenants.scoping import bind_tenant, unbind_tenant


def _get_current_tenant() -> Tenant | None:
    return g.get("tenant")


current_tenant: Tenant = LocalProxy(_get_current_tenant)  # type: ignore[assignment]


def resolve_tenant(slug: str) -> Tenant:
    """Load the active tenant for a slug and bind it to this request, or 404.

    The row comes from this process's copy while the shop's cache token is
    unchanged (one Redis GET instead of a query on every tenant page; saas/caches/tenant_rows.py).
    """
    tenant = tenant_rows.cached(slug) or tenant_rows.load(slug)
    if tenant is None or not tenant.is_active:
        abort(404)
    g.tenant = tenant
    g.tenant_slug = tenant.slug  # for links after a commit has expired the row
    g.tenant_token = bind_tenant(tenant.id)
    return tenant


def pull_slug(endpoint, values) -> None:
    """url_value_preprocessor for blueprints mounted under /<slug>."""
    if values is not None and "slug" in values:
        resolve_tenant(values.pop("slug"))


def push_slug(endpoint, values) -> None:
    """url_defaults: links inside a tenant's pages keep its slug."""
    slug = g.get("tenant_slug") or getattr(g.get("tenant"), "slug", None)
    if slug is not None and "slug" not in values:
        if current_app.url_map.is_endpoint_expecting(endpoint, "slug"):
            values["slug"] = slug


def release_tenant(exc=None) -> None:
    g.pop("tenant", None)
    g.pop("tenant_slug", None)
    g.pop("tenant_cache_token", None)
    token = g.pop("tenant_token", None)
    if token is not None:
        unbind_tenant(token)
