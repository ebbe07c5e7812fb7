"""Public pages that only change when their shop's data does, answered from memory.

`PageCache` wraps the WSGI app. A view opts a response in with `cache_this_page`
(anonymous visitors only); the response is kept per process, keyed by everything
the request could vary on (path, query string, Accept-Language), together with
the shop's cache token read from Redis before the page's data (when the shop was
resolved) and the moment the page
goes stale by itself (the end of the shop's day: an announced version comes into
force). A hit costs one Redis GET and no database query.

The token is the shop's cache token (`saas.caches.tokens`): any commit that
touches the shop's row or its policy versions changes it, so every process
renders afresh. If Redis cannot be reached the cache is bypassed, never trusted.
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from datetime import datetime

from flask import Flask, current_app, g, request, session
from flask_login import current_user

from saas.caches import tokens
from saas.models.base import utcnow

# Rendered in place of the CSP nonce; each response gets a fresh one.
NONCE_SLOT = "__csp_nonce_slot__"
MAX_PAGES = 512
MAX_AGE_SECONDS = 300  # a safety net should an invalidation be lost with Redis down
ENVIRON_KEY = "aftersales.page_cache"
_NONCE_RE = re.compile(NONCE_SLOT.encode())

# key -> (tenant_id, token, stale_at epoch seconds, status, headers, body)
_pages: OrderedDict[tuple, tuple] = OrderedDict()


def cache_this_page(tenant_id: int, stale_at: datetime) -> bool:
    """Called by a view before rendering: keep this response if the visitor is anonymous.

    Returns True when the page will be cached (render it with the nonce slot).
    """
    if current_user.is_authenticated or session.get("_flashes") or request.method != "GET":
        return False
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return False
    # The token the shop's row was resolved under, read before anything this page shows: a commit
    # elsewhere after that read deleted it, so a page rendered from older data is never served.
    # (Reading a token now would let another host's publish between the view's reads and here
    # file the old page under the new token.)
    token = g.get("tenant_cache_token") if g.get("tenant") is not None and g.tenant.id == tenant_id else None
    if token is None:
        return False
    request.environ[ENVIRON_KEY] = (tenant_id, token, stale_at.timestamp())
    g.csp_nonce = NONCE_SLOT
    return True


def forget(tenant_ids: set[int]) -> None:
    for key in [k for k, v in _pages.items() if v[0] in tenant_ids]:
        _pages.pop(key, None)


class PageCache:
    """WSGI middleware in front of the Flask app (see the module's docstring)."""

    def __init__(self, app: Flask):
        self.app = app
        self.wrapped = app.wsgi_app
        self.cookie = app.config["SESSION_COOKIE_NAME"].encode("latin-1").decode("latin-1") + "="

    def _key(self, environ) -> tuple | None:
        if environ.get("REQUEST_METHOD") != "GET" or self.cookie in environ.get("HTTP_COOKIE", ""):
            return None
        return (environ.get("PATH_INFO"), environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_LANGUAGE", ""))

    def __call__(self, environ, start_response):
        key = self._key(environ)
        if key is None:
            return self.wrapped(environ, start_response)
        entry = _pages.get(key)
        if entry is not None and self._fresh(entry):
            _pages.move_to_end(key)
            return self._serve(entry, start_response)
        return self._render(key, environ, start_response)

    def _fresh(self, entry: tuple) -> bool:
        tenant_id, token, stale_at = entry[:3]
        return utcnow().timestamp() < stale_at and tokens.still(self.app.extensions["redis"], tenant_id, token)

    @staticmethod
    def _serve(entry: tuple, start_response):
        status, headers, body = entry[3:]
        nonce = secrets.token_urlsafe(16)
        start_response(status, [(k, v.replace(NONCE_SLOT, nonce)) for k, v in headers])
        return [_NONCE_RE.sub(nonce.encode(), body)]

    def _render(self, key: tuple, environ, start_response):
        # start_response is held back until the view has said whether the page is
        # cacheable: a cached page's headers still carry the nonce slot.
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None  # Flask never uses the legacy write() callable

        chunks = self.wrapped(environ, capture)
        mark = environ.get(ENVIRON_KEY)
        status, headers = captured["status"], captured["headers"]
        if mark is None or not status.startswith("200"):
            start_response(status, headers, captured["exc_info"])
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        if not any(k.lower() == "set-cookie" for k, _ in headers):
            tenant_id, token, stale_at = mark
            stale_at = min(stale_at, utcnow().timestamp() + MAX_AGE_SECONDS)
            _pages[key] = (tenant_id, token, stale_at, status, list(headers), body)
            while len(_pages) > MAX_PAGES:
                _pages.popitem(last=False)
        return self._serve((None, None, None, status, headers, body), start_response)


def clear() -> None:
    _pages.clear()
