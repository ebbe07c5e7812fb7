"""Whether a shop hands out new cases in turn (its round-robin setting), per process.

Kept under the shop's cache token (the protocol in saas/caches/__init__.py): trusted while the token is
unchanged; `forget` drops this process's copy when a commit changed the shop's data (saas/session_hooks.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g, has_request_context
from redis.exceptions import RedisError

from saas.caches import tokens

MAX_SHOPS = 5000
# tenant id → (the shop's cache token, whether it hands out new cases)
_flags: dict[int, tuple[str, bool]] = {}


def flag(tenant_id: int, load: Callable[[int], bool]) -> bool:
    """load(tenant_id), from this process's copy while the shop's cache token is unchanged.

    The token is the one this request's shop was checked against (read before any row of the request),
    else read now, before the row; without Redis the row is read every time.
    """
    token = None
    if has_request_context() and getattr(g.get("tenant"), "id", None) == tenant_id:
        token = g.get("tenant_cache_token")
    if token is None:
        try:
            token = tokens.current(current_app.extensions["redis"], tenant_id)
        except RedisError:
            token = None
    kept = _flags.get(tenant_id)
    if token is not None and kept is not None and kept[0] == token:
        return kept[1]
    on = load(tenant_id)
    if token is not None:
        if len(_flags) > MAX_SHOPS:
            _flags.clear()
        _flags[tenant_id] = (token, on)
    return on


def forget(tenant_ids: set[int]) -> None:
    for tenant_id in tenant_ids:
        _flags.pop(tenant_id, None)


def clear() -> None:
    _flags.clear()
