"""Attaching checked evidence files to a case, stored under the tenant's folder outside the web root."""
from __future__ import annotations

import os
from pathlib import Path

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from saas import evidence
from saas.evidence import CheckedFile, EvidenceRefused  # noqa: F401  (re-exported for views)
from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent, Evidence


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def check_files(files) -> list[CheckedFile]:
    """Werkzeug FileStorage objects from a form; empty file inputs are ignored."""
    present = [f for f in files if f is not None and f.filename]
    return evidence.check_uploads((f.stream, f.filename) for f in present)


def attach(case: Case, checked: list[CheckedFile], uploaded_by: str, event: CaseEvent | None = None) -> list[Evidence]:
    """Store the files and add their rows; if anything fails, the files written so far are removed."""
    now = utcnow()
    subdir = f"{case.tenant_id}/{now:%Y}/{now:%m}"
    written: list[Path] = []
    rows: list[Evidence] = []
    try:
        for item in checked:
            stored = evidence.store(item, upload_root(), subdir)
            written.append(upload_root() / stored.relative_path)
            row = Evidence(tenant_id=case.tenant_id, case=case, event_id=event.id if event else None, kind=stored.kind,
                           mime=stored.mime, size=stored.size, sha256=stored.sha256, path=stored.relative_path,
                           original_name=item.display_name, uploaded_by=uploaded_by)
            db.session.add(row)
            rows.append(row)
        db.session.flush()
    except BaseException:
        _remove(written)
        raise
    # Until the transaction commits, these files are only a draft of it.
    db.session.info.setdefault(_WRITTEN, []).extend(written)
    return rows


_WRITTEN = "evidence_files_written"


def _remove(paths) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


@sa_event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_files(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        _remove(session.info.pop(_WRITTEN, []))


def file_path(item: Evidence) -> Path:
    return evidence.resolve_stored(upload_root(), item.path)
