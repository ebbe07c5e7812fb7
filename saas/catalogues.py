"""Compiled translation catalogues on every install path.

Only the .po sources are committed. `make` compiles them next to the sources; an install made
with `pip install .` (or a `git pull` that changed a .po) has none, or outdated ones, and Babel
would then show English without a word. So at start the app uses the source folder when each
catalogue's .mo is at least as new as its .po, and otherwise compiles the catalogues into the
instance folder (writable by the service, unlike perhaps the code) and uses those.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)


def _sources(source: Path) -> list[Path]:
    return sorted(source.glob("*/LC_MESSAGES/*.po"))


def _fresh(po: Path, mo: Path) -> bool:
    return mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime


def _compile(po: Path, mo: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name)
    mo.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: processes starting at the same moment never read half a file.
    fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)  # fuzzy entries left out, as `pybabel compile` does
        # Never older than its source, even when the .po came with a time in the future (a copy
        # that kept a skewed clock's times): otherwise every start would compile again.
        stamp = max(time.time(), po.stat().st_mtime)
        os.utime(tmp, (stamp, stamp))
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_compiled(source: Path, cache: Path) -> Path:
    """The folder Babel should read: `source` if its catalogues are compiled and current, else `cache`."""
    pos = _sources(source)
    if all(_fresh(po, po.with_suffix(".mo")) for po in pos):
        return source
    try:
        for po in pos:
            mo = cache / po.relative_to(source).with_suffix(".mo")
            if not _fresh(po, mo):
                _compile(po, mo)
    except OSError as exc:
        log.warning(
            "cannot compile the translation catalogues into %s (%s): run `pybabel compile -d translations`", cache, exc
        )
        return source
    return cache
