"""Locale selection (zh_Hans default, en) and template helpers for switching."""

from __future__ import annotations

from urllib.parse import urlencode

from babel.dates import format_datetime
from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from saas.extensions import babel
from saas.locale import (  # noqa: F401  (re-exported: the one locale helper lives in saas/locale.py)
    ACCEPT_LANGUAGE_OFFERS,
    DEFAULT_LOCALE,
    SUPPORTED,
    current_lang,
    html_lang,
    lang_of,
    localized,
    normalise_locale,
    pick,
)
from tenants.clock import local_now


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE  # jobs and the CLI say which locale they want with force_locale()
    chosen = normalise_locale(request.args.get("lang"))
    if chosen:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in SUPPORTED:
        return session["lang"]
    # A merchant's pages speak its chosen language until the visitor switches.
    tenant = g.get("tenant")
    if tenant is not None and tenant.default_locale in SUPPORTED:
        return tenant.default_locale
    best = request.accept_languages.best_match(list(ACCEPT_LANGUAGE_OFFERS))
    return normalise_locale(best) or DEFAULT_LOCALE


def lang_url(code: str) -> str:
    """This page again in another language (query string kept)."""
    args = request.args.to_dict()
    args["lang"] = code
    return request.path + "?" + urlencode(args)


ROLE_LABELS = {
    "owner": _l("Owner"),
    "admin": _l("Admin"),
    "agent": _l("Agent"),
    "supervisor": _l("Supervisor"),
    "operator": _l("Platform operator"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def localtime(value, pattern: str = "yyyy-MM-dd HH:mm") -> str:
    """Format an aware datetime in the tenant's timezone (Asia/Shanghai by default)."""
    if value is None:
        return ""
    return format_datetime(local_now(g.get("tenant"), value), pattern, locale=get_locale())


def init_app(app: Flask) -> None:
    from pathlib import Path

    from saas.catalogues import ensure_compiled

    catalogues = ensure_compiled(Path(app.root_path).parent / "translations", Path(app.instance_path) / "translations")
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(catalogues))

    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals["role_label"] = role_label
    # Bilingual data (merchant data, snapshots) in the reader's language; UI text uses _().
    app.jinja_env.globals["pick"] = pick
    app.jinja_env.globals["localized"] = localized

    @app.context_processor
    def _i18n_context():
        locale = str(get_locale())
        return {
            "current_locale": locale,
            "current_lang": lang_of(locale),
            "html_lang": html_lang(locale),
            "lang_url": lang_url,
        }
