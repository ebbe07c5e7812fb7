"""Storing checked files under a root: random names, atomic writes, paths that cannot leave the root."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from saas.evidence.formats import DIR_MODE, FILE_MODE, CheckedFile, StoredFile
from saas.evidence.refusals import UnsafePath

# Every component we create or accept: starts with a letter or digit (so never "." or
# "..", never an option-like "-x"), then letters, digits, "_", "-" and ".".
_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def _safe_parts(relative: str | PurePosixPath) -> list[str]:
    text = str(relative)
    if "\\" in text or "\x00" in text or text.startswith("/"):
        raise UnsafePath(f"unsafe relative path: {text!r}")
    parts = [p for p in text.split("/") if p]
    if not all(_COMPONENT.fullmatch(p) for p in parts):
        raise UnsafePath(f"unsafe relative path: {text!r}")
    return parts


def _random_name(ext: str) -> str:
    while True:  # 144 random bits; retry only to avoid a leading "-" or "_"
        token = secrets.token_urlsafe(18)
        if token[0].isalnum():
            return token + ext


def store(checked: CheckedFile, root: Path, subdir: str | PurePosixPath = "", name: str | None = None) -> StoredFile:
    """Write atomically under root/subdir (e.g. "7/2025/01") with a random name, mode 0o640.

    With `name` (one we generated before), that file is written or replaced: the
    evidence worker stores a cleaned file under its quarantined name, so a retried job
    overwrites its own earlier output instead of leaving a second copy.
    """
    parts = _safe_parts(subdir)
    root_real = Path(root).resolve()
    directory = root_real.joinpath(*parts)
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if not directory.resolve().is_relative_to(root_real):  # a symlinked subdirectory
        raise UnsafePath(f"subdirectory leaves the storage root: {subdir!r}")
    if name is not None:
        _safe_parts(name)
    else:
        name = _random_name(checked.ext)
        while (directory / name).exists():  # practically never; os.replace would overwrite
            name = _random_name(checked.ext)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
    try:
        os.fchmod(fd, FILE_MODE)  # explicit, so the process umask cannot widen it
        with os.fdopen(fd, "wb") as fh:
            fh.write(checked.data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable; not supported everywhere, so best effort
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return StoredFile(
        name=name,
        relative_path=str(PurePosixPath(*parts, name)),
        kind=checked.kind,
        mime=checked.mime,
        size=checked.size,
        sha256=hashlib.sha256(checked.data).hexdigest(),
    )


def resolve_stored(root: Path, relative_path: str) -> Path:
    """The absolute path of a stored file; UnsafePath for anything outside root."""
    parts = _safe_parts(relative_path)
    if not parts:
        raise UnsafePath("empty relative path")
    root_real = Path(root).resolve()
    path = root_real.joinpath(*parts).resolve()  # follows symlinks before the check
    if not path.is_relative_to(root_real) or path == root_real:
        raise UnsafePath(f"path leaves the storage root: {relative_path!r}")
    return path


def open_stored(root: Path, relative_path: str) -> BinaryIO:
    """Open a stored file for reading (FileNotFoundError if missing)."""
    return open(resolve_stored(root, relative_path), "rb")
