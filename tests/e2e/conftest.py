"""Browser tests: the real app served on 127.0.0.1 and Debian's Chromium driven by Playwright.

Skipped (not failed) where Chromium or the playwright package is missing, so
`make test` still passes on a machine without a browser. Browsers are never
downloaded: Playwright drives /usr/bin/chromium.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.conftest import make_config

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: browser test (Playwright + Debian's Chromium); skipped without them")


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test, marked or not (CI runs them on PostgreSQL only)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


def _why_unavailable() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found (apt-get install chromium fonts-wqy-zenhei)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not importable ({exc}); pip install -e '.[test]'"
    return None


@pytest.fixture
def browser():
    """A headless Chromium, or a skip saying what is missing."""
    reason = _why_unavailable()
    if reason:
        pytest.skip(f"browser test skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=15_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def e2e_app(databases, redis_url):
    """An app on its own database, with the demo shops seeded (not the shared `app`)."""
    from saas import create_app
    from saas.extensions import db

    app = create_app(make_config(databases.new("e2e"), redis_url))
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(e2e_app):
    """The app served by werkzeug on 127.0.0.1 and a free port, in a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def screenshots():
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS
