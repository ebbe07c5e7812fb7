"""App factory, configuration and the health check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import make_config


def test_import_connects_to_nothing():
    """Importing the app and building it opens no database or Redis connection."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise AssertionError('connected at import')\n"
        "socket.create_connection = refuse\n"
        "socket.socket.connect = refuse\n"
        "import wsgi, workers.jobs, workers.worker, saas.cli\n"
        "print('ok')\n"
    )
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_production_refuses_to_start_without_a_real_secret(monkeypatch):
    from config import ProductionConfig
    from saas import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "dev-insecure-secret-change-me")
    with pytest.raises(RuntimeError):
        create_app(ProductionConfig)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    ProductionConfig.validate()  # a long random secret passes


def test_healthz_reports_both_services(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.get_json() == {"database": "ok", "redis": "ok"}


@pytest.mark.real_commits  # a second app: its own connection
def test_healthz_is_503_when_redis_is_down(databases, app):
    from saas import create_app

    broken = create_app(
        make_config(app.config["SQLALCHEMY_DATABASE_URI"], "redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.5)
    )
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["database"] == "ok" and body["redis"].startswith("error")


def test_healthz_is_503_when_the_database_is_down(redis_url, databases):
    from saas import create_app

    if databases.is_postgres:
        url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    else:
        url = "sqlite:////nonexistent-dir/for/sure/x.db"
    broken = create_app(make_config(url, redis_url))
    r = broken.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.get_json()["database"].startswith("error") and r.get_json()["redis"] == "ok"


def test_unknown_page_is_a_translated_404(client):
    r = client.get("/no/such/page/here")
    assert r.status_code == 404
    assert "您访问的页面不存在" in r.get_data(as_text=True)
