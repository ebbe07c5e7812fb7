"""What a worker keeps of each shop between jobs: its row, its message wordings, its terms per day.

Every notification job needs the shop's row and its template overrides, which change
a few times a year, and an SMS job the terms in force (quiet hours). Reading them
per job cost two or three queries; here they are read once and kept while the shop's
cache token (saas/caches/tokens.py) is unchanged, so one Redis GET per job stands in for
them. Any commit that saves a shop, a policy version or a message template deletes
the token, so the very next job reloads. When Redis cannot be reached nothing is
trusted: every job reads the rows (as before the cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from saas.caches import tokens
from saas.extensions import db
from saas.services import message_templates, policies
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.terms import Terms

# Far more shops than one worker sees in a token's lifetime; past it the copies are simply dropped.
MAX_SHOPS = 2000
_COLUMNS = [c.key for c in Tenant.__table__.columns]


@dataclass
class Shop:
    tenant: Tenant
    wordings: message_templates.Wordings
    # Terms in force per day of the shop's calendar: only SMS jobs ask (quiet hours).
    _terms: dict[date, Terms] = field(default_factory=dict)

    def terms_today(self, now) -> Terms:
        today = shop_today(self.tenant, now)
        terms = self._terms.get(today)
        if terms is None:
            if len(self._terms) > 2:
                self._terms.clear()  # yesterday's and older
            version = policies.current_version(self.tenant, today)
            terms = self._terms[today] = policies.terms_of(version) if version else Terms()
        return terms


@dataclass
class _Entry:
    token: str
    values: dict
    wordings: message_templates.Wordings
    terms: dict[date, Terms]


_shops: dict[int, _Entry] = {}
_last: int | None = None  # the shop this worker's latest job was for


def likely_shop() -> int | None:
    """The shop the next job is most likely for (the last one's): callers may read its token ahead.

    A job's first Redis round trip can then carry that GET too (see outbox._start), so a
    run of jobs for one shop costs one Redis round trip each, not two.
    """
    return _last


def shop(tenant_id: int, token_read: tuple[int, bytes | None] | None = None) -> Shop | None:
    """The shop as of its current cache token; runs inside the shop's tenant_context().

    token_read: (shop id, its token as read from Redis) earlier in the same job, if any.
    """
    global _last
    _last = tenant_id
    redis = current_app.extensions["redis"]
    entry = _shops.get(tenant_id)
    if entry is not None:
        if token_read is not None and token_read[0] == tenant_id:
            valid = token_read[1] is not None and token_read[1].decode() == entry.token
        else:
            valid = tokens.still(redis, tenant_id, entry.token)
        if valid:
            return Shop(_attach(tenant_id, entry.values), entry.wordings, entry.terms)
        _shops.pop(tenant_id, None)
    # The token is read before the rows: a change committed in between deletes it, so the
    # copy below is never kept under a token that outlived it.
    try:
        token = tokens.current(redis, tenant_id)
    except RedisError:
        token = None
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        return None
    found = Shop(tenant, message_templates.own_wordings(tenant_id))
    if token is not None:
        if len(_shops) >= MAX_SHOPS:
            _shops.clear()
        _shops[tenant_id] = _Entry(
            token, {name: getattr(tenant, name) for name in _COLUMNS}, found.wordings, found._terms
        )
    return found


def _attach(tenant_id: int, values: dict) -> Tenant:
    """The session's own copy if it holds one, else a detached Tenant built from the values.

    Not added to the session: that would begin a transaction without any statement
    (see outbox._settle), and nothing a job does with a shop needs it in the session.
    """
    held = db.session.identity_map.get(identity_key(Tenant, tenant_id))
    if held is not None:
        return held
    tenant = Tenant(**values)
    make_transient_to_detached(tenant)
    return tenant


def forget(tenant_ids: set[int]) -> None:
    for tenant_id in tenant_ids:
        _shops.pop(tenant_id, None)


def clear() -> None:
    global _last
    _shops.clear()
    _last = None
