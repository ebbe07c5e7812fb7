"""A shop's row by slug, kept per process for the tenant resolver (protocol: saas/caches/__init__.py).

Every tenant page resolves its shop from the URL's slug; while the shop's cache token is
unchanged the row comes from here (one Redis GET) instead of a query.
"""

from __future__ import annotations

from flask import g
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from saas.caches import tokens
from saas.extensions import db
from tenants.models import Tenant

# slug -> (tenant id, cache token, column values) of active shops, per process.
_rows: dict[str, tuple[int, str, dict]] = {}
_COLUMNS = [c.key for c in Tenant.__table__.columns]


def cached(slug: str) -> Tenant | None:
    """The shop's row as this process last read it, if the shop's cache token says it is unchanged."""
    entry = _rows.get(slug)
    if entry is None:
        return None
    tenant_id, token, values = entry
    if not tokens.still(tokens.current_redis(), tenant_id, token):
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


def load(slug: str) -> Tenant | None:
    """Read the row; keep a copy under the token read before the row (so no change slips in between)."""
    tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    if tenant_id is None:
        return None
    try:
        token = tokens.current(tokens.current_redis(), tenant_id)
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


def clear() -> None:
    _rows.clear()
