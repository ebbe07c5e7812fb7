"""Security headers on every response; a CSP nonce for the one inline style block; the trusted proxy."""

from __future__ import annotations

import secrets

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Pages that show nothing personal and may be kept by browsers and proxies: the public
# policy and shop pages (their own page cache keeps them too), the policy JSON, static files.
CACHEABLE_BLUEPRINTS = frozenset({"public"})
CACHEABLE_ENDPOINTS = frozenset({"static", "core.index", "api.tenant_policy", "api.openapi"})
HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _cacheable() -> bool:
    return request.endpoint in CACHEABLE_ENDPOINTS or request.blueprint in CACHEABLE_BLUEPRINTS


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies:
        # Client addresses (rate limits, audit) come from X-Forwarded-For only when exactly this
        # many proxies in front of the app are trusted to write it; otherwise the header is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    hsts = bool(app.config.get("HSTS"))

    @app.after_request
    def _headers(response):
        nonce = g.get("csp_nonce")
        style_src = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            f"style-src {style_src}; script-src 'self'; object-src 'none'; "
            "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if hsts or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not _cacheable():
            # Consoles, tracking, supervision, admin, surveys, sign-in: personal data is never kept
            # by a browser's history cache or a shared proxy. Set here, after the view, so a page
            # answered from saas/caches/case_pages.py carries it too.
            response.headers["Cache-Control"] = "no-store"
        return response
