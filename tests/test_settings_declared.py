"""Every setting the code reads is declared in config.py and documented (README.md or docs/)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

import config

ROOT = Path(__file__).resolve().parent.parent
READS = (
    re.compile(r"""config(?:\[|\.get\()\s*["']([A-Z][A-Z0-9_]+)["']"""),
    re.compile(r"""_required\(config,\s*["']([A-Z][A-Z0-9_]+)["']"""),
    re.compile(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']"""),
    re.compile(r"""os\.getenv\(\s*["']([A-Z][A-Z0-9_]+)["']"""),
)
# Flask's own settings (SESSION_COOKIE_NAME …) are Flask's to declare and document.
FLASK_OWN = set(Flask.default_config)


def settings_read() -> dict[str, set[str]]:
    """setting -> the files that read it."""
    found: dict[str, set[str]] = {}
    for package in ("saas", "tenants", "workers"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for pattern in READS:
                for name in pattern.findall(text):
                    found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _declared(name: str) -> bool:
    source = (ROOT / "config.py").read_text(encoding="utf-8")
    return any(hasattr(cls, name) for cls in config.CONFIGS.values()) or re.search(rf"\b{name}\b", source) is not None


def _documented(name: str, docs: str) -> bool:
    if re.search(rf"`{name}`", docs):
        return True
    # A family written as `PREFIX_*` (the providers' credentials).
    return any(name.startswith(prefix) for prefix in re.findall(r"`([A-Z][A-Z0-9_]*_)\*`", docs))


def _docs() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    )


def test_the_scan_finds_the_settings_it_should():
    read = settings_read()
    for name in ("RATELIMIT_INTAKE", "RATELIMIT_COMPLAINT", "RECALL_BATCH_SIZE", "PUBLIC_BASE_URL", "TWILIO_FROM"):
        assert name in read


def test_every_setting_read_is_declared_in_config():
    missing = {
        name: sorted(files) for name, files in settings_read().items() if name not in FLASK_OWN and not _declared(name)
    }
    assert missing == {}, f"read but not declared in config.py: {missing}"


def test_every_setting_read_is_documented():
    docs = _docs()
    missing = {
        name: sorted(files)
        for name, files in settings_read().items()
        if name not in FLASK_OWN and not _documented(name, docs)
    }
    assert missing == {}, f"read but not in README.md or docs/: {missing}"


def test_the_rate_limits_and_batch_size_come_from_the_environment(monkeypatch):
    import importlib

    monkeypatch.setenv("RATELIMIT_INTAKE", "7 per hour")
    monkeypatch.setenv("RECALL_BATCH_SIZE", "123")
    fresh = importlib.reload(config)
    try:
        assert fresh.Config.RATELIMIT_INTAKE == "7 per hour"
        assert fresh.Config.RECALL_BATCH_SIZE == 123
    finally:
        monkeypatch.undo()
        importlib.reload(config)
