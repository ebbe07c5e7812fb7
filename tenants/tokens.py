"""A shop's cache token: what per-process caches of its data are checked against.

Each process may keep copies of a shop's rarely changing data (its row, its
rendered policy page, its message wordings) for as long as the shop's token in
Redis is the one the copy was made under. Any commit that touches the shop's
row, its policy versions or its message templates deletes the token after the
commit; the next reader sets a fresh random one, so every process reloads. A
Redis restart loses tokens, which only causes reloads; when Redis cannot be
reached, callers must not trust their copies.
"""
from __future__ import annotations

import logging
import secrets
from typing import Callable, Iterable

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Called with the ids of shops changed by a commit in this process (drop local copies at once).
_on_change: list[Callable[[set[int]], None]] = []


def key(ident: int, kind: str = "tenant") -> str:
    """Tokens exist per shop ("tenant") and, for the consumer's case page, per case ("case")."""
    return f"{kind}-token:{ident}"


def current(redis: Redis, ident: int, kind: str = "tenant") -> str:
    """The token, setting a fresh one if there is none. Raises RedisError."""
    token = redis.get(key(ident, kind))
    if token is not None:
        return token.decode()
    fresh = secrets.token_hex(8)
    if redis.set(key(ident, kind), fresh, nx=True):
        return fresh
    # Another process set one first; if a commit deleted it again since, ours is as good as any (a copy kept
    # under it is dropped at the next check, when the tokens differ).
    token = redis.get(key(ident, kind))
    return token.decode() if token is not None else fresh


def still(redis: Redis, ident: int, token: str, kind: str = "tenant") -> bool:
    """Is `token` still the current one? False when Redis cannot tell."""
    try:
        value = redis.get(key(ident, kind))
    except RedisError:
        return False
    return value is not None and value.decode() == token


def delete(redis: Redis, ids: set[int], kind: str = "tenant") -> None:
    try:
        redis.delete(*(key(i, kind) for i in ids))
    except RedisError:
        log.warning("could not delete the %s cache tokens %s in Redis; other processes keep "
                    "their copies until those expire", kind, sorted(ids))


def on_change(callback: Callable[[set[int]], None]) -> None:
    _on_change.append(callback)


def invalidate(redis: Redis, tenant_ids: Iterable[int]) -> None:
    ids = set(tenant_ids)
    if not ids:
        return
    for callback in _on_change:
        callback(ids)
    delete(redis, ids)


# ------------------------------------------------------------ invalidation on commit

class ShopData:
    """Mixed into the models a shop's cached copies are made from (its row, its policy
    versions, its message templates): a commit that touches one drops that shop's token."""

    def cached_shop_id(self) -> int | None:
        """The shop whose copies this row is part of."""
        return self.tenant_id  # type: ignore[attr-defined]


def _touched(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ShopData):
            ident = obj.cached_shop_id()
            if ident is not None:
                ids.add(ident)
    return ids


def invalidate_on_commit(name: str, touched: Callable[[Session], set[int]],
                         invalidated: Callable[[set[int]], None]) -> None:
    """Collect ids with `touched` before every flush; after the commit, call `invalidated`
    with them once; forget them if the transaction rolls back."""
    key = f"changed:{name}"

    def collect(session: Session, flush_context, instances) -> None:
        ids = touched(session)
        if ids:
            session.info.setdefault(key, set()).update(ids)

    def after_commit(session: Session) -> None:
        ids = session.info.pop(key, None)
        if ids:
            invalidated(ids)

    def forget(session: Session) -> None:
        session.info.pop(key, None)

    event.listen(Session, "before_flush", collect)
    event.listen(Session, "after_commit", after_commit)
    event.listen(Session, "after_rollback", forget)


def mark_changed(session: Session, name: str, ident: int) -> None:
    """For writers that bypass the ORM: treat `ident` as touched by this transaction."""
    session.info.setdefault(f"changed:{name}", set()).add(ident)


def _current_redis() -> Redis:
    return current_app.extensions["redis"]


invalidate_on_commit("tenants", _touched, lambda ids: invalidate(_current_redis(), ids))
