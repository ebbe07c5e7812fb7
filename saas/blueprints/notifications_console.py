"""Console: notification failures and "send again", and the follow-up visits low scores raised."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from saas.blueprints.access import require_tenant_staff, roles_required
from saas.extensions import db
from saas.forms import PlainForm
from saas.input_guard import NOTE_MAX, form_text
from saas.models.base import utcnow
from saas.models.notification import Notification
from saas.models.survey import FollowUpTask
from saas.services import audit, notification_words
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404
from workers import outbox

bp = Blueprint("notifications_console", __name__, url_prefix="/<slug>/console")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)


@bp.app_context_processor
def words():
    # The notifications table is also part of the case page: its words are there too.
    return {"notification_words": notification_words}


@bp.get("/notifications")
def failures():
    status = request.args.get("status", "problems")
    stmt = select(Notification).order_by(Notification.id.desc()).limit(200)
    if status == "problems":
        stmt = stmt.where(Notification.status.in_(("dead", "retry")))
    elif status in ("pending", "sending", "sent", "retry", "dead", "superseded", "cancelled"):
        stmt = stmt.where(Notification.status == status)
    return render_template(
        "console/notifications.html", rows=db.session.scalars(stmt).all(), status=status, form=PlainForm()
    )


@bp.post("/notifications/<int:notification_id>/resend")
@roles_required("owner", "admin")
def resend(notification_id: int):
    n = get_for_tenant_or_404(Notification, notification_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    if n.status != "dead":
        flash(_("Only failed messages can be sent again."), "error")
    else:
        outbox.resend(n)
        audit.record(current_tenant.id, current_user, "notification.resend", n)
        db.session.commit()
        flash(_("The message will be sent again (once: the same message is never delivered twice)."), "success")
    return redirect(request.referrer or url_for(".failures"))


@bp.get("/follow-ups")
def follow_ups():
    rows = db.session.scalars(
        select(FollowUpTask).order_by(FollowUpTask.status.desc(), FollowUpTask.id.desc()).limit(200)
    ).all()
    return render_template("console/follow_ups.html", rows=rows, form=PlainForm())


@bp.post("/follow-ups/<int:task_id>/done")
def follow_up_done(task_id: int):
    task = get_for_tenant_or_404(FollowUpTask, task_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    outcome = form_text(request.form, "outcome", NOTE_MAX)
    if not outcome:
        flash(_("Please note what the customer said."), "error")
        return redirect(url_for(".follow_ups"))
    task.status, task.outcome, task.done_at, task.done_by_id = "done", outcome, utcnow(), current_user.id
    audit.record(current_tenant.id, current_user, "follow_up.done", task)
    db.session.commit()
    flash(_("Follow-up recorded."), "success")
    return redirect(url_for(".follow_ups"))
