"""The platform operator's desk."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from saas.blueprints.access import require_role
from saas.extensions import db
from saas.models.user import User
from tenants.models import Tenant

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_role("operator"))


@bp.get("/")
def home():
    staff_counts = dict(
        db.session.execute(
            select(User.tenant_id, func.count(User.id)).where(User.tenant_id.is_not(None)).group_by(User.tenant_id)
        ).all()
    )
    tenants = db.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
    supervisors = db.session.scalars(select(User).where(User.role == "supervisor").order_by(User.name)).all()
    return render_template("admin/home.html", tenants=tenants, staff_counts=staff_counts, supervisors=supervisors)
