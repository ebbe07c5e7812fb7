"""Unbound Flask extensions, bound to an app in create_app()."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import Redis
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class DeferredLimits:
    """Collects @limiter.limit(...) marks at import; each app gets its own Limiter in create_app().

    Flask-Limiter keeps one storage per Limiter object, so a module-level
    Limiter shared by several apps (tests, a bench baseline) would rate-limit
    them all in whichever Redis was bound last.
    """

    MARK = "_rate_limits"

    def limit(self, *args, **kwargs):
        def mark(view):
            getattr(view, self.MARK, None) or setattr(view, self.MARK, [])
            getattr(view, self.MARK).append((args, kwargs))
            return view

        return mark

    def init_app(self, app: Flask) -> Limiter:
        real = Limiter(key_func=get_remote_address, strategy="moving-window")
        real.init_app(app)
        for endpoint, view in list(app.view_functions.items()):
            # Applied innermost first, as the decorators were written.
            for args, kwargs in reversed(getattr(view, self.MARK, [])):
                view = real.limit(*args, **kwargs)(view)
            app.view_functions[endpoint] = view
        app.extensions["app_limiter"] = real
        return real


limiter = DeferredLimits()


class RedisHolder:
    """The app's Redis client, kept per app; from_url() opens no connection until first use."""

    def init_app(self, app: Flask) -> None:
        timeout = app.config["REDIS_SOCKET_TIMEOUT"]
        app.extensions["redis"] = Redis.from_url(
            app.config["REDIS_URL"], socket_timeout=timeout, socket_connect_timeout=timeout
        )

    @property
    def client(self) -> Redis:
        return current_app.extensions["redis"]


redis = RedisHolder()
