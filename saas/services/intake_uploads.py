"""Photos chosen on the intake form before it is submitted, kept provisionally so a re-rendered form loses none.

A browser cannot re-fill a file input, so every time the form comes back (the
eligibility check, a refused field) the files it carried would be gone. They are
checked, written under <UPLOAD_DIR>/pending/<tenant>/<batch>/ with a manifest of the
names the consumer saw, and named by the batch id the page carries in a hidden field;
the session records which batch ids this browser wrote, so a batch id alone opens
nothing. On submission the files are checked again through the ordinary evidence
API and attached to the case.
"""

from __future__ import annotations

import io
import json
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from werkzeug.datastructures import FileStorage

from saas import evidence
from saas.evidence import CheckedFile
from saas.services.case_evidence import upload_root

PENDING = "pending"
MANIFEST = "manifest.json"
MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Kept:
    """One provisionally kept file: where it is (relative to the batch folder) and the name the consumer saw."""

    file: str
    name: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "name": self.name}


def new_batch_id() -> str:
    return secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


def valid_batch_id(batch: str) -> bool:
    return 8 <= len(batch) <= 32 and batch.isalnum()


def _batch_dir(tenant_id: int, batch: str) -> Path:
    return upload_root() / PENDING / str(tenant_id) / batch


def keep(tenant_id: int, batch: str, checked: list[CheckedFile]) -> list[Kept]:
    """Write checked files into the batch folder; removes abandoned batches of this shop as it goes.
    Returns everything the batch now holds."""
    _remove_stale(tenant_id)
    kept = listing(tenant_id, batch)
    for item in checked:
        stored = evidence.store(item, upload_root(), f"{PENDING}/{tenant_id}/{batch}")
        kept.append(Kept(Path(stored.relative_path).name, item.display_name))
    _write_manifest(tenant_id, batch, kept)
    return kept


def listing(tenant_id: int, batch: str) -> list[Kept]:
    """The files kept in a batch, in the order they were chosen."""
    try:
        entries = json.loads((_batch_dir(tenant_id, batch) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return []
    return [Kept(str(e["file"]), str(e["name"])) for e in entries if isinstance(e, dict) and {"file", "name"} <= set(e)]


def retain(tenant_id: int, batch: str, files: set[str]) -> list[Kept]:
    """Keep only the named files (those the consumer left ticked); the others are deleted."""
    kept = listing(tenant_id, batch)
    folder = _batch_dir(tenant_id, batch)
    for item in kept:
        if item.file not in files:
            try:
                evidence.resolve_stored(folder, item.file).unlink(missing_ok=True)
            except (OSError, evidence.UnsafePath):
                pass
    kept = [item for item in kept if item.file in files]
    if kept or folder.is_dir():
        _write_manifest(tenant_id, batch, kept)
    return kept


def _write_manifest(tenant_id: int, batch: str, kept: list[Kept]) -> None:
    folder = _batch_dir(tenant_id, batch)
    folder.mkdir(mode=evidence.DIR_MODE, parents=True, exist_ok=True)
    tmp = folder / (MANIFEST + ".part")
    tmp.write_text(json.dumps([k.to_dict() for k in kept], ensure_ascii=False), "utf-8")
    tmp.replace(folder / MANIFEST)


def reopen(tenant_id: int, batch: str, kept: list[Kept]) -> list[FileStorage]:
    """The kept files as uploads again (the evidence checks run on them once more when they are attached)."""
    folder = _batch_dir(tenant_id, batch)
    files = []
    for item in kept:
        path = evidence.resolve_stored(folder, item.file)
        try:
            data = path.read_bytes()
        except OSError:
            continue  # swept away meanwhile: the page says which files are attached
        files.append(FileStorage(stream=io.BytesIO(data), filename=item.name))
    return files


def discard(tenant_id: int, batch: str) -> None:
    shutil.rmtree(_batch_dir(tenant_id, batch), ignore_errors=True)


def _remove_stale(tenant_id: int, now: float | None = None) -> None:
    folder = upload_root() / PENDING / str(tenant_id)
    if not folder.is_dir():
        return
    limit = (now if now is not None else time.time()) - MAX_AGE_SECONDS
    for batch in folder.iterdir():
        try:
            if batch.is_dir() and not batch.is_symlink() and batch.stat().st_mtime < limit:
                shutil.rmtree(batch, ignore_errors=True)
        except OSError:
            pass
