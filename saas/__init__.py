"""The Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

import config as config_module

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type | str | None = None) -> Flask:
    if config is None:
        config = config_module.config_from_env()
    elif isinstance(config, str):
        config = config_module.CONFIGS[config]
    validate = getattr(config, "validate", None)
    if validate is not None:
        validate()

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(config_module.INSTANCE_DIR),
        instance_relative_config=False,
    )
    app.config.from_object(config)
    os.makedirs(app.instance_path, exist_ok=True)
    from saas import logs

    logs.init_app(app)  # before anything logs: one line per event, with its request or job id

    from saas import input_guard

    input_guard.init_app(app)  # converters before the blueprints' rules; the input guard before any view
    register_request_hygiene(app)
    register_extensions(app)
    register_blueprints(app)
    from saas.extensions import limiter

    limiter.init_app(app)  # after the blueprints: it wraps their views
    register_errorhandlers(app)
    register_commands(app)
    from saas import security

    security.init_app(app)
    from saas.caches.pages import PageCache

    app.wsgi_app = PageCache(app)  # type: ignore[method-assign]
    from saas.metrics import web as metrics

    metrics.init_app(app)  # /metrics; outermost middleware: request id, counts and latency by route
    return app


# Per-request values Flask-Login, Flask-WTF and saas/security.py keep on g (our own code memoises
# through saas/request_memo.py). Normally every request has a fresh app context; when one is
# shared (the CLI, tests), none may leak into the next.
_REQUEST_SCOPED_G = ("_login_user", "csrf_token", "csp_nonce")


def register_request_hygiene(app: Flask) -> None:
    from flask import g
    from flask_babel import refresh

    from saas import request_memo

    request_memo.init_app(app)

    @app.before_request
    def _fresh_request_state():
        for name in _REQUEST_SCOPED_G:
            g.pop(name, None)
        refresh()  # Flask-Babel's cached locale


def register_extensions(app: Flask) -> None:
    from saas import i18n, models
    from saas.database import configure_engine
    from saas.extensions import csrf, db, login_manager, migrate, redis

    db.init_app(app)
    models.load_all()  # every table, whichever blueprints import which models
    from saas import session_hooks

    session_hooks.register(app)  # every Session listener, in one visible order (the web, the worker, the CLI)
    configure_engine(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True)
    csrf.init_app(app)
    redis.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS",
        {
            "socket_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
            "socket_connect_timeout": app.config["REDIS_SOCKET_TIMEOUT"],
        },
    )
    i18n.init_app(app)

    from saas.blueprints.auth import load_user

    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.login_message = None


def register_blueprints(app: Flask) -> None:
    """Every module in saas/blueprints that defines `bp` is one feature's blueprint."""
    import importlib
    import pkgutil

    from saas import blueprints
    from tenants.resolver import push_slug, release_tenant

    for info in sorted(pkgutil.iter_modules(blueprints.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"saas.blueprints.{info.name}")
        if hasattr(module, "bp"):
            app.register_blueprint(module.bp)
    app.url_defaults(push_slug)
    app.teardown_request(release_tenant)


def register_errorhandlers(app: Flask) -> None:
    from saas.blueprints.core import register_errors

    register_errors(app)


def register_commands(app: Flask) -> None:
    from saas import cli

    cli.init_app(app)
