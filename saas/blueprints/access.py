"""Who may enter which area: tenant staff, supervisors, operators."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user


def _to_login():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def require_tenant_staff():
    """before_request for tenant consoles: staff of another tenant get 404, not 403."""
    if not current_user.is_authenticated:
        return _to_login()
    tenant = g.get("tenant")
    if tenant is None or not current_user.is_staff or current_user.tenant_id != tenant.id:
        abort(404)
    return None


def staff_only(view):
    """A view of a blueprint that also serves the public (complaints, recalls): its tenant's staff only,
    as `require_tenant_staff` does for whole consoles."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        refused = require_tenant_staff()
        return refused if refused is not None else view(*args, **kwargs)

    return wrapped


def require_role(*roles: str):
    """before_request factory for platform areas (supervise, admin)."""

    def check():
        if not current_user.is_authenticated:
            return _to_login()
        if current_user.role not in roles:
            abort(404)
        return None

    return check


def roles_required(*roles: str):
    """Inside a console: actions only some staff roles may take (others get 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
