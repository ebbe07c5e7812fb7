"""Browser tests: the real app served on 127.0.0.1 and Debian's Chromium driven by Playwright.

Skipped (not failed), with what to install, where Chromium or the playwright package is missing or
cannot start, so `make test` still passes on a machine without a browser; with CI=true they fail
instead, so CI never passes without them. Browsers are never
downloaded: Playwright drives /usr/bin/chromium.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import clear_process_caches, make_config

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
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


INSTALL_HINT = "apt-get install chromium fonts-wqy-zenhei libatomic1"


def _why_unavailable() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not importable ({exc}); pip install -e '.[test]'"
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _unavailable(reason: str):
    """Skip with what to install; in CI (CI=true) fail, so CI never passes without browsers."""
    message = f"{reason}; on Debian/Ubuntu: {INSTALL_HINT}"
    if _in_ci():
        pytest.fail(f"browser tests cannot run in CI: {message}", pytrace=False)
    pytest.skip(f"browser test skipped: {message}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def open_browser():
    """A headless Chromium; a skip (a failure in CI) naming what to install when the driver or the
    browser is missing or cannot start (e.g. node without libatomic1, a browser without its libraries)."""
    reason = _why_unavailable()
    if reason:
        _unavailable(reason)
    from playwright.sync_api import sync_playwright

    try:
        pw = sync_playwright().start()
    except Exception as exc:  # the node driver did not start
        _unavailable(f"the Playwright driver did not start ({_first_line(exc)})")
    try:
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=15_000)
        except Exception as exc:
            _unavailable(f"{CHROMIUM} did not start ({_first_line(exc)})")
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


@pytest.fixture
def browser():
    """A headless Chromium, or a skip saying what is missing."""
    with open_browser() as chromium:
        yield chromium


@pytest.fixture
def e2e_app(databases, redis_url):
    """An app on its own database, with the demo shops seeded (not the shared `app`)."""
    from saas import create_app
    from saas.extensions import db, redis

    app = create_app(make_config(databases.new("e2e"), redis_url))
    with app.app_context():
        db.create_all()
        # Each journey's app has its own database but shares this process and the test Redis: nothing an
        # earlier journey cached (shop rows, pages, tokens, queued jobs, rate-limit counts) may leak into it.
        redis.client.flushdb()
    clear_process_caches()
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"])
    assert result.exit_code == 0, result.output
    from saas.services import reports_text

    # Filing a case segments its words: jieba's dictionary loads once per process (≈2 s, far more on a
    # busy machine), here rather than inside the first journey's bounded waits.
    reports_text.terms("包装破损")
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


@pytest.fixture(scope="session")
def _fresh_screenshots():
    """Emptied once per run, so every journey's steps stay side by side for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS


@pytest.fixture
def screenshots(_fresh_screenshots):
    return _fresh_screenshots
