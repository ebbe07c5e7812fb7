"""Application configuration, read from environment variables."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

# A placeholder the production config refuses: a deployment must set its own.
INSECURE_SECRET = "dev-insecure-secret-change-me"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE_DIR / name}"


def database_url(url: str) -> str:
    """A relative SQLite path is relative to the project root (where config.py lives).

    Flask-SQLAlchemy would otherwise resolve it against the instance folder, so the documented
    `sqlite:///instance/aftersales.db` became instance/instance/aftersales.db. Absolute paths,
    in-memory databases and every other database are returned unchanged.
    """
    if not url.startswith("sqlite"):
        return url
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    path = parsed.database
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).is_absolute():
        return url
    return parsed.set(database=str(BASE_DIR / path)).render_as_string(hide_password=False)


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET)
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL") or _sqlite_url("aftersales.db"))
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # Seconds a health probe or a rate-limit lookup may wait for Redis.
    REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "2"))

    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans", "en")

    WTF_CSRF_TIME_LIMIT = None  # tied to the session, which expires on its own
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    # Keep consumers' rendered case pages per process (saas/caches/case_pages.py); the bench turns
    # it off on a second server to measure the page as rendered.
    CASE_PAGE_CACHE = _bool("CASE_PAGE_CACHE", True)
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12

    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    # Sign-in failures per (account, client address); an account with LOGIN_ACCOUNT_GUARD failures
    # from at least LOGIN_GUARD_MIN_IPS addresses pauses password sign-in and offers an e-mailed link.
    RATELIMIT_LOGIN_ACCOUNT_IP = os.environ.get("RATELIMIT_LOGIN_ACCOUNT_IP", "10 per 15 minutes")
    LOGIN_ACCOUNT_GUARD = os.environ.get("LOGIN_ACCOUNT_GUARD", "20 per hour")
    LOGIN_GUARD_MIN_IPS = int(os.environ.get("LOGIN_GUARD_MIN_IPS", "3"))
    SIGNIN_LINK_LIMIT = os.environ.get("SIGNIN_LINK_LIMIT", "3 per 15 minutes")
    # The public doors, per client address unless noted (Flask-Limiter's "N per period"; several joined by ";").
    RATELIMIT_SIGNIN_LINK_IP = os.environ.get("RATELIMIT_SIGNIN_LINK_IP", "10 per hour")  # sign-in link requests
    RATELIMIT_INTAKE = os.environ.get("RATELIMIT_INTAKE", "20 per hour")  # cases filed
    RATELIMIT_TRACK_IP = os.environ.get("RATELIMIT_TRACK_IP", "20 per 10 minutes")  # failed tracking look-ups
    RATELIMIT_TRACK_CASE = os.environ.get("RATELIMIT_TRACK_CASE", "10 per 10 minutes")  # … per case number
    RATELIMIT_TRACK_LINK_IP = os.environ.get("RATELIMIT_TRACK_LINK_IP", "60 per 10 minutes")  # tracking links opened
    RATELIMIT_COMPLAINT = os.environ.get("RATELIMIT_COMPLAINT", "5 per hour")  # platform complaints filed
    RATELIMIT_COMPLAINT_LOOKUP_IP = os.environ.get("RATELIMIT_COMPLAINT_LOOKUP_IP", "20 per 10 minutes")  # failed
    RATELIMIT_COMPLAINT_LOOKUP_REF = os.environ.get("RATELIMIT_COMPLAINT_LOOKUP_REF", "10 per 10 minutes")  # … per ref
    # Proxies in front of the app trusted to set X-Forwarded-For (0: use the socket's address).
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    HSTS = _bool("HSTS", False)

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")  # STARTTLS
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")  # implicit TLS
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@aftersales.local")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))

    SMS_BACKEND = os.environ.get("SMS_BACKEND", "dev")  # dev | aliyun | twilio
    SMS_TIMEOUT = float(os.environ.get("SMS_TIMEOUT", "10"))
    ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID")
    ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET")
    ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME")
    ALIYUN_SMS_TEMPLATE_CODE = os.environ.get("ALIYUN_SMS_TEMPLATE_CODE")
    ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_FROM = os.environ.get("TWILIO_FROM")
    TWILIO_ENDPOINT = os.environ.get("TWILIO_ENDPOINT", "https://api.twilio.com")

    # Links in SMS and email; by default the address `make run` serves on (its HOST and PORT).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or (
        f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
    )
    # How long a worker holds a claimed notification before another may take it over.
    OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "120"))
    EVIDENCE_LEASE_SECONDS = int(os.environ.get("EVIDENCE_LEASE_SECONDS", "120"))
    # Orders a product recall contacts per job (each job enqueues the next batch).
    RECALL_BATCH_SIZE = int(os.environ.get("RECALL_BATCH_SIZE", "500"))
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_CONTENT_LENGTH = 100 * 1024 * 1024

    # /metrics answers `Authorization: Bearer <METRICS_TOKEN>`; with no token, only this host (docs/metrics.md).
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # text | json (one JSON object per line)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # One line per request (route, status, time, request id); gunicorn's access log does not know the route.
    ACCESS_LOG = _bool("ACCESS_LOG", False)

    DEV_INBOX = False
    # Demo shops carry a published password: `flask demo seed|generate` refuse to run unless this is on
    # (development and tests; a benchmark on a production configuration sets ALLOW_DEMO_DATA=1).
    DEMO_DATA = _bool("ALLOW_DEMO_DATA", False)
    # Where the development SMTP sink `make run` starts files its mail (shown at /dev/inbox).
    DEV_MAIL_DIR = os.environ.get("DEV_MAIL_DIR", str(INSTANCE_DIR / "dev_mail"))
    # argon2id cost for new password hashes (None: argon2-cffi's defaults; tests set a cheap one).
    ARGON2_PARAMS: dict | None = None
    TESTING = False
    DEBUG = False


class DevelopmentConfig(Config):
    DEBUG = _bool("FLASK_DEBUG", False)
    DEV_INBOX = True
    DEMO_DATA = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    WTF_CSRF_ENABLED = True
    DEV_INBOX = True
    DEMO_DATA = True
    PUBLIC_BASE_URL = "http://localhost"
    METRICS_TOKEN = ""
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
    # Still argon2id, at a cost that keeps hundreds of sign-ins in tests fast.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    HSTS = _bool("HSTS", True)  # production is served over HTTPS (behind the TLS proxy)

    @classmethod
    def validate(cls) -> None:
        secret = os.environ.get("SECRET_KEY", "")
        if not secret or secret == INSECURE_SECRET or len(secret) < 32:
            raise RuntimeError("ProductionConfig needs SECRET_KEY set to a random value of at least 32 characters")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("APP_ENV", "development")]
