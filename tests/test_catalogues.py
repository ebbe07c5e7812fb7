"""The UI is Chinese on every install path: catalogues missing or outdated are compiled at start."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from babel.support import Translations

from saas.catalogues import ensure_compiled

ROOT = Path(__file__).resolve().parent.parent


def copy_sources(tmp_path: Path) -> Path:
    """translations/ as a fresh clone has it: .po files only."""
    source = tmp_path / "translations"
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        target = source / po.relative_to(ROOT / "translations")
        target.parent.mkdir(parents=True)
        shutil.copy2(po, target)
    return source


def chinese_for(folder: Path, msgid: str) -> str:
    return Translations.load(str(folder), ["zh_Hans"]).gettext(msgid)


def test_a_clone_without_compiled_catalogues_gets_them_compiled_into_the_instance_folder(tmp_path):
    source, cache = copy_sources(tmp_path), tmp_path / "instance" / "translations"
    assert chinese_for(source, "Sign in") == "Sign in"  # what Babel shows without a .mo

    used = ensure_compiled(source, cache)

    assert used == cache
    assert (cache / "zh_Hans" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (cache / "en" / "LC_MESSAGES" / "messages.mo").is_file()
    assert chinese_for(used, "Sign in") == "登录"
    assert not list(source.rglob("*.mo"))  # the code folder may be read-only: nothing written there


def test_compiled_and_current_sources_are_used_as_they_are(tmp_path):
    source, cache = copy_sources(tmp_path), tmp_path / "cache"
    ensure_compiled(source, source)  # what `make translations` leaves behind

    assert ensure_compiled(source, cache) == source
    assert not cache.exists()


def test_a_po_changed_after_compiling_is_compiled_again(tmp_path):
    source, cache = copy_sources(tmp_path), tmp_path / "cache"
    ensure_compiled(source, source)
    po = source / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "登录"', 'msgstr "登入"', 1), encoding="utf-8")
    later = po.stat().st_mtime + 5
    os.utime(po, (later, later))  # a `git pull` that brought a new translation

    used = ensure_compiled(source, cache)

    assert used == cache
    assert chinese_for(used, "Sign in") == "登入"
    # Once compiled, the next start reuses the cache without compiling again.
    mo = cache / "zh_Hans" / "LC_MESSAGES" / "messages.mo"
    stamp = mo.stat().st_mtime_ns
    assert ensure_compiled(source, cache) == cache
    assert mo.stat().st_mtime_ns == stamp


def test_an_unwritable_cache_falls_back_to_the_sources_without_failing_the_start(tmp_path):
    source = copy_sources(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    assert ensure_compiled(source, blocker / "translations") == source
