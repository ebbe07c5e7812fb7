"""Attaching checked evidence files to a case: photos wait in quarantine for the evidence worker, outside the web root."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from flask import current_app
from sqlalchemy.orm import Session

from saas import evidence
from saas.evidence import CheckedFile, EvidenceRefused  # noqa: F401  (re-exported for views)
from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent, Evidence
from saas.queues import enqueue_after_commit, evidence_wake_key

# Uploaded photos are written here as sent (metadata and all) and served to nobody; the
# evidence worker writes the cleaned file under the same name outside it.
QUARANTINE = "quarantine"
COARSE_SUFFIX = ".coarse.jpg"
PROCESS_JOB = "workers.jobs.process_evidence"
JOB_TIMEOUT = 90  # seconds, inside the lease (2 minutes); a live worker finishes the largest allowed photo in a few


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def check_files(files) -> list[CheckedFile]:
    """Werkzeug FileStorage objects from a form; empty file inputs are ignored.

    Cheap whatever the files are (type, size and header dimensions; no pixel decoded):
    photos are cleaned later by the evidence worker.
    """
    present = [f for f in files if f is not None and f.filename]
    return evidence.check_uploads((f.stream, f.filename) for f in present)


def attach(case: Case, checked: list[CheckedFile], uploaded_by: str, event: CaseEvent | None = None) -> list[Evidence]:
    """Store the files and add their rows; if anything fails, the files written so far are removed.

    Photos not yet cleaned go to quarantine as `processing` and a job is queued for each
    once the transaction commits; clean files (videos, photos cleaned beforehand) are ready.
    """
    now = utcnow()
    subdir = f"{case.tenant_id}/{now:%Y}/{now:%m}"
    written: list[Path] = []
    rows: list[Evidence] = []
    try:
        for item in checked:
            waiting = item.kind == "image" and not item.clean  # videos are kept as sent (see check_upload)
            stored = evidence.store(item, upload_root(), f"{QUARANTINE}/{subdir}" if waiting else subdir)
            written.append(upload_root() / stored.relative_path)
            if item.coarse:
                written.append(_store_coarse(stored.relative_path, item.coarse))
            row = Evidence(
                tenant_id=case.tenant_id,
                case=case,
                event_id=event.id if event else None,
                kind=stored.kind,
                mime=stored.mime,
                size=stored.size,
                sha256=stored.sha256,
                path=stored.relative_path,
                original_name=item.display_name,
                uploaded_by=uploaded_by,
                status="processing" if waiting else "ready",
            )
            db.session.add(row)
            rows.append(row)
        db.session.flush()
    except BaseException:
        _remove(written)
        raise
    # Until the transaction commits, these files are only a draft of it.
    db.session.info.setdefault(_WRITTEN, []).extend(written)
    for row in rows:
        if row.status == "processing":
            enqueue_after_commit(
                db.session, "evidence", PROCESS_JOB, row.id, wake_key=evidence_wake_key(row.id), job_timeout=JOB_TIMEOUT
            )
    return rows


def clean_path(quarantined: str) -> str:
    """Where the cleaned file of a quarantined one goes: the same name, outside quarantine."""
    parts = PurePosixPath(quarantined).parts
    if len(parts) < 2 or parts[0] != QUARANTINE:
        raise evidence.UnsafePath(f"not a quarantined path: {quarantined!r}")
    return str(PurePosixPath(*parts[1:]))


def store_clean(quarantined: str, cleaned: CheckedFile) -> evidence.StoredFile:
    """Write the cleaned photo and its supervisors' rendition; rewriting both is harmless (a retried job)."""
    target = PurePosixPath(clean_path(quarantined))
    stored = evidence.store(cleaned, upload_root(), target.parent, name=target.name)
    if cleaned.coarse:
        _store_coarse(stored.relative_path, cleaned.coarse)
    return stored


def _store_coarse(relative_path: str, data: bytes) -> Path:
    target = PurePosixPath(relative_path + COARSE_SUFFIX)
    rendition = CheckedFile("", "image", "image/jpeg", ".jpg", data, clean=True)
    evidence.store(rendition, upload_root(), target.parent, name=target.name)
    return upload_root() / target


_WRITTEN = "evidence_files_written"


def _remove(paths) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


def keep_written_files(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


def remove_written_files(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        _remove(session.info.pop(_WRITTEN, []))


def file_path(item: Evidence) -> Path:
    """Where the row's file is now (in quarantine while processing); for housekeeping, not for serving."""
    return evidence.resolve_stored(upload_root(), item.path)


def file_paths(item: Evidence) -> list[Path]:
    """Every file the row may have on disk: the file, the supervisors' rendition, and the original in quarantine
    (left behind when a worker died between marking the row ready and removing it)."""
    paths = [file_path(item), evidence.resolve_stored(upload_root(), item.path + COARSE_SUFFIX)]
    if not item.path.startswith(QUARANTINE + "/"):
        paths.append(evidence.resolve_stored(upload_root(), f"{QUARANTINE}/{item.path}"))
    return paths


def ready_path(item: Evidence) -> Path | None:
    """The file to serve, or None while it is processing or after it was refused (never the quarantined bytes)."""
    if item.status != "ready" or item.path.startswith(QUARANTINE + "/"):
        return None
    return file_path(item)


def coarse_rendition(item: Evidence) -> bytes | None:
    """The supervisors' rendition of a ready photo: made by the worker; made here for photos stored before it did."""
    path = ready_path(item)
    if path is None or item.kind != "image":
        return None
    try:
        with open(evidence.resolve_stored(upload_root(), item.path + COARSE_SUFFIX), "rb") as kept:
            return kept.read()
    except FileNotFoundError:
        with open(path, "rb") as stored:
            return evidence.coarsened(stored)
