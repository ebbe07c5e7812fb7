"""The supervisor's desk: sampling and review of granted tenants' cases."""
from __future__ import annotations

from flask import Blueprint, render_template

from saas.blueprints.access import require_role

bp = Blueprint("supervise", __name__, url_prefix="/supervise")
bp.before_request(require_role("supervisor"))


@bp.get("/")
def home():
    return render_template("supervise/home.html")
