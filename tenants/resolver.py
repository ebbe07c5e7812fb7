"""current_tenant: resolved from the URL's <slug> before anything else runs."""
from __future__ import annotations

from flask import abort, current_app, g
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from werkzeug.local import LocalProxy

from saas.extensions import db
from tenants import tokens
from tenants.models import Tenant
from tenants.scoping import bind_tenant, unbind_tenant


def _get_current_tenant() -> Tenant | None:
    return g.get("tenant")


current_tenant: Tenant = LocalProxy(_get_current_tenant)  # type: ignore[assignment]


# slug -> (tenant id, cache token, column values) of active shops, per process.
_rows: dict[str, tuple[int, str, dict]] = {}
_COLUMNS = [c.key for c in Tenant.__table__.columns]


def _from_cache(slug: str) -> Tenant | None:
    """The shop's row as this process last read it, if the shop's cache token says it is unchanged."""
    entry = _rows.get(slug)
    if entry is None:
        return None
    tenant_id, token, values = entry
    if not tokens.still(current_app.extensions["redis"], tenant_id, token):
        _rows.pop(slug, None)
        return None
    g.tenant_cache_token = token
    held = db.session.identity_map.get(identity_key(Tenant, tenant_id))
    if held is not None:
        return held
    tenant = Tenant(**values)
    make_transient_to_detached(tenant)
    db.session.add(tenant)
    return tenant


def _load(slug: str) -> Tenant | None:
    """Read the row; keep a copy under the token read before the row (so no change slips in between)."""
    tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    if tenant_id is None:
        return None
    try:
        token = tokens.current(current_app.extensions["redis"], tenant_id)
    except RedisError:
        token = None
    tenant = db.session.scalar(select(Tenant).where(Tenant.id == tenant_id))
    if token is not None and tenant is not None and tenant.is_active and tenant.slug == slug:
        _rows[slug] = (tenant_id, token, {name: getattr(tenant, name) for name in _COLUMNS})
        g.tenant_cache_token = token
    return tenant


def forget(tenant_ids: set[int]) -> None:
    for slug in [s for s, entry in _rows.items() if entry[0] in tenant_ids]:
        _rows.pop(slug, None)


tokens.on_change(forget)


def clear_cache() -> None:
    _rows.clear()


def resolve_tenant(slug: str) -> Tenant:
    """Load the active tenant for a slug and bind it to this request, or 404.

    The row comes from this process's copy while the shop's cache token is
    unchanged (one Redis GET instead of a query on every tenant page).
    """
    tenant = _from_cache(slug) or _load(slug)
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
