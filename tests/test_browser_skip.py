"""Browser tests on a machine whose browser cannot start: skipped with the complete install hint,
except in CI (CI=true), where they fail so CI never passes without browsers."""

from __future__ import annotations

import pytest

from tests.e2e import conftest as e2e

HINT = "apt-get install chromium fonts-wqy-zenhei libatomic1"


@pytest.fixture
def broken_chromium(tmp_path, monkeypatch):
    """An executable that exits at once, as a Chromium missing a library does."""
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'error while loading shared libraries: libatomic.so.1' >&2\nexit 127\n")
    fake.chmod(0o755)
    monkeypatch.setattr(e2e, "CHROMIUM", str(fake))
    return fake


def _open():
    with e2e.open_browser():
        pass


def test_missing_browser_skips_with_the_install_hint(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(e2e, "CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(pytest.skip.Exception) as skipped:
        _open()
    assert "no-chromium not found" in str(skipped.value)
    assert HINT in str(skipped.value)


def test_browser_that_cannot_start_skips_with_the_install_hint(broken_chromium, monkeypatch):
    pytest.importorskip("playwright.sync_api")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as skipped:
        _open()
    assert f"{broken_chromium} did not start" in str(skipped.value)
    assert HINT in str(skipped.value)


@pytest.mark.parametrize("ci", ["true", "1"])
def test_in_ci_a_browser_that_cannot_start_fails(broken_chromium, monkeypatch, ci):
    pytest.importorskip("playwright.sync_api")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception) as failed:
        _open()
    assert "cannot run in CI" in str(failed.value) and HINT in str(failed.value)


def test_in_ci_a_missing_browser_fails(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(e2e, "CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(pytest.fail.Exception):
        _open()
