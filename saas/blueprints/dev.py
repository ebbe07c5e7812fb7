"""Development-only pages: the SMS inbox of the development gateway (/dev/inbox)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import select

from saas.extensions import db
from saas.models.notification import DevSms

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def only_in_development():
    if not current_app.config.get("DEV_INBOX"):
        abort(404)


@bp.get("/inbox")
def inbox():
    messages = db.session.scalars(select(DevSms).order_by(DevSms.id.desc()).limit(200)).all()
    return render_template("dev/inbox.html", messages=messages)
