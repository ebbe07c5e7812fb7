"""The consumer's case page, kept per process while the case and its shop are unchanged.

Consumers come back to their tracking page again and again while nothing has
changed. A rendered page is kept per (case, URL, language, session's CSRF
secret) under the case's cache token and the shop's (see `saas.caches.tokens`);
any commit touching the case, its events, files, lines or compensations
deletes the case's token after the commit, so every process renders afresh.
A hit still checks that this browser proved it owns the case, costs one Redis
GET and no query. Pages with a flash message or the "just filed" notice are
never kept; entries expire after MAX_AGE_SECONDS (well inside the CSRF token's
hour) and whenever Redis cannot confirm the token.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable

from flask import current_app, g, request, session
from flask_babel import get_locale
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from saas.caches import tokens
from saas.caches.pages import NONCE_SLOT
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent, CaseLine, Evidence
from saas.models.complaint import AdvanceCompensation

MAX_PAGES = 1024
MAX_AGE_SECONDS = 900

# (tenant id, case number) -> case id: numbers never change hands.
_ids: OrderedDict[tuple[int, str], int] = OrderedDict()
# page key -> (case token, shop token, stored at, html)
_pages: OrderedDict[tuple, tuple[str, str, float, str]] = OrderedDict()


def _page_key(case_id: int) -> tuple:
    return (case_id, request.full_path, str(get_locale()), session.get("csrf_token"))


def _bounded(store: OrderedDict, key, value) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > MAX_PAGES:
        store.popitem(last=False)


def _fresh_nonce(html: str) -> str:
    g.csp_nonce = secrets.token_urlsafe(16)
    return html.replace(NONCE_SLOT, g.csp_nonce)


def cached(tenant_id: int, number: str) -> str | None:
    """The kept page for this browser, or None (then render it with `render_and_keep`)."""
    if not current_app.config["CASE_PAGE_CACHE"] or session.get("_flashes"):
        return None
    case_id = _ids.get((tenant_id, number))
    if case_id is None or case_id not in session.get("tracked", []) or session.get("just_filed") == case_id:
        return None
    key = _page_key(case_id)
    entry = _pages.get(key)
    if entry is None:
        return None
    case_token, shop_token, stored_at, html = entry
    redis = current_app.extensions["redis"]
    if (
        utcnow().timestamp() - stored_at > MAX_AGE_SECONDS
        or shop_token != g.get("tenant_cache_token")
        or not tokens.still(redis, case_id, case_token, kind="case")
    ):
        _pages.pop(key, None)
        return None
    return _fresh_nonce(html)


def token_before_loading(tenant_id: int, number: str) -> str | None:
    """The case's token, read before the view loads the case (None: this process has not seen the
    case yet, or Redis cannot tell). A change committed after this read deletes it, so a page kept
    under it is never served stale; a token read after loading could outlive such a change."""
    if not current_app.config["CASE_PAGE_CACHE"]:
        return None
    case_id = _ids.get((tenant_id, number))
    if case_id is None:
        return None
    try:
        return tokens.current(current_app.extensions["redis"], case_id, kind="case")
    except RedisError:
        return None


def render_and_keep(
    tenant_id: int, case_id: int, number: str, render: Callable[[], str], keep: bool, case_token: str | None
) -> str:
    """Render the page; keep it when `keep` and both tokens were read before the case was loaded."""
    known = _ids.get((tenant_id, number))
    _bounded(_ids, (tenant_id, number), case_id)  # the next visit reads the token before loading
    shop_token = g.get("tenant_cache_token")
    if (
        not keep
        or case_token is None
        or known != case_id
        or shop_token is None
        or not current_app.config["CASE_PAGE_CACHE"]
        or session.get("_flashes")
    ):
        return render()
    g.csp_nonce = NONCE_SLOT
    html = render()
    _bounded(_pages, _page_key(case_id), (case_token, shop_token, utcnow().timestamp(), html))
    return _fresh_nonce(html)


def clear() -> None:
    _ids.clear()
    _pages.clear()


def forget(case_ids: set[int]) -> None:
    for key in [k for k in _pages if k[0] in case_ids]:
        _pages.pop(key, None)


# ------------------------------------------------------------ invalidation on commit


def mark_changed(session_: Session, case_id: int) -> None:
    """For writers that bypass the ORM (retention's direct statements)."""
    tokens.mark_changed(session_, "cases", case_id)


def touched_cases(session_: Session) -> set[int]:
    ids: set[int] = set()
    for obj in (*session_.new, *session_.dirty, *session_.deleted):
        if isinstance(obj, Case):
            if obj.id is not None:
                ids.add(obj.id)
        elif isinstance(obj, (CaseEvent, CaseLine, Evidence, AdvanceCompensation)):
            case_id = (
                obj.case_id
                if obj.case_id is not None
                else getattr(obj.case, "id", None)
                if hasattr(obj, "case")
                else None
            )
            if case_id is not None:
                ids.add(case_id)
    return ids


def invalidate(case_ids: set[int]) -> None:
    forget(case_ids)
    tokens.delete(current_app.extensions["redis"], case_ids, kind="case")
