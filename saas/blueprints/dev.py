"""Development-only pages: the SMS inbox of the development gateway (/dev/inbox)."""
from __future__ import annotations

import ipaddress

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from saas.extensions import db
from saas.models.notification import DevSms

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def only_in_development():
    """Every shop's SMS (numbers and texts) are on this page: development only, and only to this machine,
    so that a development server bound to a public address does not publish them."""
    if not current_app.config.get("DEV_INBOX") or not _from_this_machine(request.remote_addr):
        abort(404)


def _from_this_machine(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@bp.get("/inbox")
def inbox():
    messages = db.session.scalars(select(DevSms).order_by(DevSms.id.desc()).limit(200)).all()
    return render_template("dev/inbox.html", messages=messages)
