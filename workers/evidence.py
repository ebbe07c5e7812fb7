"""The evidence worker: claim a quarantined photo, clean it, store it, mark it; the sweeper that re-enqueues."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select, update

from saas import evidence
from saas.caches import case_pages
from saas.extensions import db, redis
from saas.models.base import utcnow
from saas.models.case import Evidence
from saas.queues import evidence_wake_key
from saas.services import case_evidence
from tenants.scoping import CROSS_TENANT

log = logging.getLogger(__name__)

# A job that stopped its worker (killed, out of memory, stuck in a decoder) is taken up
# again after its lease; after this many claims the file is refused instead of tried again.
MAX_ATTEMPTS = 3
WAKE_TTL = 300

_TABLE = Evidence.__table__
_C = _TABLE.c


def _cross(stmt):
    return stmt.execution_options(**{CROSS_TENANT: "evidence worker"})


def lease_duration() -> timedelta:
    """How long a claim holds a row; far above the slowest allowed photo on a busy machine."""
    return timedelta(seconds=float(current_app.config.get("EVIDENCE_LEASE_SECONDS") or 120))


_CLAIM = _cross(
    update(_TABLE)
    .where(
        _C.id == bindparam("eid"),
        _C.status == "processing",
        or_(_C.lease_expires_at.is_(None), _C.lease_expires_at < bindparam("now")),
    )
    .values(lease_expires_at=bindparam("lease_until"), attempts=_C.attempts + 1)
    .returning(
        _C.id, _C.tenant_id, _C.case_id, _C.path, _C.mime, _C.kind, _C.original_name, _C.attempts, _C.lease_expires_at
    )
)
# The outcome, written only under the lease the row was claimed with: a worker that lost
# its lease (it was too slow and another took the row over) writes nothing.
_FINISH = _cross(
    update(_TABLE).where(
        _C.id == bindparam("eid"), _C.status == "processing", _C.lease_expires_at == bindparam("held_lease")
    )
)


def claim(evidence_id: int):
    """processing (unclaimed, or a dead worker's expired lease) → claimed by this worker; one worker wins."""
    now = utcnow()
    row = db.session.execute(
        _CLAIM, {"eid": evidence_id, "now": now, "lease_until": now + lease_duration()}
    ).one_or_none()
    db.session.commit()
    return row


def process(evidence_id: int) -> str:
    """Clean one quarantined photo: ready with the cleaned file, or refused with the reason. Idempotent.

    Order matters for never losing a file: the cleaned file is written (under a fixed
    name, so a retry rewrites it), then the row says ready, and only after that commit
    is the quarantined original removed. A worker dying anywhere in between leaves the
    row processing with the original in place, for the sweeper to hand out again.
    """
    row = claim(evidence_id)
    if row is None:
        return "skipped"
    redis.client.delete(evidence_wake_key(evidence_id))  # from now on the lease, not the mark, keeps it
    if row.attempts > MAX_ATTEMPTS:
        log.warning("evidence %s refused after %s attempts", row.id, row.attempts - 1)
        return _finish(row, "refused", refusal="failed")  # the original stays on disk, for a person to look at
    try:
        with evidence.open_stored(case_evidence.upload_root(), row.path) as fh:
            data = fh.read(evidence.MAX_IMAGE_BYTES + 1)
    except FileNotFoundError:
        log.error("evidence %s: quarantined file %s is missing", row.id, row.path)
        return _finish(row, "refused", refusal="failed")
    ext = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(row.mime, "")
    try:
        if row.kind != "image" or len(data) > evidence.MAX_IMAGE_BYTES:
            raise evidence.refusal("failed", row.original_name)
        cleaned = evidence.clean_image(
            evidence.CheckedFile(row.original_name, "image", row.mime, ext, data, clean=False)
        )
    except evidence.EvidenceRefused as exc:
        return _finish(row, "refused", refusal=exc.code, drop_original=True)
    stored = case_evidence.store_clean(row.path, cleaned)
    return _finish(
        row,
        "ready",
        path=stored.relative_path,
        size=stored.size,
        sha256=stored.sha256,
        mime=cleaned.mime,
        drop_original=True,
    )


def _finish(row, status: str, drop_original: bool = False, **values) -> str:
    done = db.session.execute(
        _FINISH,
        {"eid": row.id, "held_lease": row.lease_expires_at, "status": status, "lease_expires_at": None, **values},
    )
    case_pages.mark_changed(db.session(), row.case_id)  # the consumer's page shows the new state
    db.session.commit()
    if done.rowcount != 1:
        return "lost lease"
    if drop_original:
        try:
            evidence.resolve_stored(case_evidence.upload_root(), row.path).unlink()
        except FileNotFoundError:
            pass
    return status


def sweep(limit: int = 1000) -> int:
    """Re-enqueue photos still processing whose job never ran (Redis lost it) or whose worker died."""
    from saas.queues import get_queue

    now = utcnow()
    ids = db.session.scalars(
        _cross(
            select(Evidence.id)
            .where(
                Evidence.status == "processing",
                or_(Evidence.lease_expires_at.is_(None), Evidence.lease_expires_at < now),
            )
            .order_by(Evidence.id)
            .limit(limit)
        )
    ).all()
    db.session.commit()
    queue = get_queue("evidence")
    count = 0
    for eid in ids:
        if redis.client.set(evidence_wake_key(eid), 1, nx=True, ex=WAKE_TTL):
            queue.enqueue(case_evidence.PROCESS_JOB, eid, job_timeout=case_evidence.JOB_TIMEOUT)
            count += 1
    return count
