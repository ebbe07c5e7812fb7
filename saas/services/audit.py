"""Recording staff actions in the tenant's audit trail."""
from __future__ import annotations

from flask import has_request_context, request

from saas.extensions import db
from saas.models.audit import AuditEvent
from saas.models.user import User


def record(tenant_id: int, actor: User | None, action: str, target=None, **details) -> AuditEvent:
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        details=details,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    db.session.flush()
    return event
