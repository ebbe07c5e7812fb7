"""Cache tokens: what every per-process copy is checked against (the protocol: saas/caches/__init__.py).

Each process may keep copies of a shop's rarely changing data (its row, its
rendered policy page, its message wordings) or of a case's page for as long as
the token in Redis is the one the copy was made under. Any commit that touches
the data deletes the token after the commit (`Invalidation`); the next reader
sets a fresh random one, so every process reloads. A Redis restart loses tokens,
which only causes reloads; when Redis cannot be reached, callers must not trust
their copies.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


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
        log.warning(
            "could not delete the %s cache tokens %s in Redis; other processes keep their copies until those expire",
            kind,
            sorted(ids),
        )


# ------------------------------------------------------------ invalidation on commit


class ShopData:
    """Mixed into the models a shop's cached copies are made from (its row, its policy
    versions, its message templates): a commit that touches one drops that shop's token."""

    def cached_shop_id(self) -> int | None:
        """The shop whose copies this row is part of."""
        return self.tenant_id  # type: ignore[attr-defined]


def touched_shops(session: Session) -> set[int]:
    """The shops whose cached data the session's pending changes touch."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, ShopData):
            ident = obj.cached_shop_id()
            if ident is not None:
                ids.add(ident)
    return ids


class Invalidation:
    """Collects the ids `touched` finds before every flush; after the commit calls `invalidated`
    with them once; forgets them if the transaction rolls back.

    Its three methods are session listeners; `saas.session_hooks` registers them.
    """

    def __init__(self, name: str, touched: Callable[[Session], set[int]], invalidated: Callable[[set[int]], None]):
        self.name = name
        self.key = f"changed:{name}"
        self.touched = touched
        self.invalidated = invalidated

    def collect(self, session: Session, flush_context, instances) -> None:
        ids = self.touched(session)
        if ids:
            session.info.setdefault(self.key, set()).update(ids)

    def after_commit(self, session: Session) -> None:
        ids = session.info.pop(self.key, None)
        if ids:
            self.invalidated(ids)

    def forget(self, session: Session) -> None:
        session.info.pop(self.key, None)

    def __repr__(self) -> str:
        return f"<Invalidation {self.name}>"


def mark_changed(session: Session, name: str, ident: int) -> None:
    """For writers that bypass the ORM: treat `ident` as touched by this transaction."""
    session.info.setdefault(f"changed:{name}", set()).add(ident)


def current_redis() -> Redis:
    return current_app.extensions["redis"]
