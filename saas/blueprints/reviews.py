"""The weekly and monthly review pack (复盘) as a printable page, and the improvement actions recorded on it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from saas.blueprints.access import require_tenant_staff, roles_required
from saas.extensions import db
from saas.forms import PlainForm
from saas.i18n import current_lang
from saas.models.review import ImprovementAction
from saas.services import audit, case_messages, improvement_actions, report_periods, reviews, sla
from tenants.clock import shop_today
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404

bp = Blueprint("reviews", __name__, url_prefix="/<slug>/console")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

PERIOD_KINDS = {"last_week": "week", "this_week": "week", "last_month": "month", "this_month": "month"}


def _period(args):
    """Last week unless another preset or a range is asked for (the same presets and checks as the reports)."""
    today = shop_today(current_tenant)
    kind = args.get("period") or ("custom" if args.get("from") or args.get("to") else "last_week")
    return report_periods.parse_period(kind, args.get("from"), args.get("to"), today)


def _period_args(period: report_periods.Period) -> dict:
    if period.kind == "custom":
        return {"period": "custom", "from": period.first.isoformat(), "to": period.last.isoformat()}
    return {"period": period.kind}


def _render(
    period: report_periods.Period,
    *,
    error: str | None = None,
    form_error: str | None = None,
    form_values: dict | None = None,
    status: int = 200,
):
    pack = reviews.build_pack(current_tenant, period, PERIOD_KINDS.get(period.kind, "range")) if period else None
    lang = current_lang()
    return render_template(
        "console/reviews/pack.html",
        pack=pack,
        period=period,
        error=error,
        form_error=form_error,
        form_values=form_values or {},
        args=request.args,
        period_args=_period_args(period) if period else {},
        team=improvement_actions.team(current_tenant),
        problem_key=improvement_actions.problem_key,
        problem_label=(lambda p: pack.problem_label(p, lang)) if pack else None,
        label=case_messages.label,
        clock_label=lambda kind: str(sla.CLOCK_LABELS.get(kind, kind)),
        description_max=improvement_actions.DESCRIPTION_MAX,
        form=PlainForm(),
        today=shop_today(current_tenant),
    ), status


@bp.get("/reviews")
@roles_required("owner", "admin")
def pack():
    try:
        period = _period(request.args)
    except report_periods.PeriodError as exc:
        today = shop_today(current_tenant)
        return _render(report_periods.parse_period("last_week", None, None, today), error=exc.message, status=400)
    return _render(period)


@bp.post("/reviews/actions")
@roles_required("owner", "admin")
def record_action():
    form = request.form
    try:
        period = _period(form)
    except report_periods.PeriodError:
        period = _period({})
    try:
        action = improvement_actions.record_action(
            current_tenant,
            current_user,
            problem_key=form.get("problem_key", ""),
            problem_label=form.get("problem_label", ""),
            description=form.get("description", ""),
            owner_id=form.get("owner_id"),
            due=form.get("due_date", ""),
        )
    except improvement_actions.ActionError as exc:
        db.session.rollback()
        values = {k: form.get(k, "") for k in ("problem_key", "description", "owner_id", "due_date")}
        return _render(period, form_error=exc.message, form_values=values, status=400)
    audit.record(
        current_tenant.id,
        current_user,
        "improvement_action.created",
        action,
        problem=action.problem_label,
        due=action.due_date.isoformat(),
    )
    db.session.commit()
    flash(_("Action recorded."), "success")
    return redirect(url_for(".pack", **_period_args(period)) + "#actions")


@bp.post("/reviews/actions/<int:action_id>/done")
@roles_required("owner", "admin")
def action_done(action_id: int):
    action = get_for_tenant_or_404(ImprovementAction, action_id)
    try:
        period = _period(request.form)
    except report_periods.PeriodError:
        period = _period({})
    try:
        improvement_actions.complete_action(action, current_user)
    except improvement_actions.ActionError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".pack", **_period_args(period)) + "#actions")
    audit.record(current_tenant.id, current_user, "improvement_action.done", action)
    db.session.commit()
    flash(_("Action marked done."), "success")
    return redirect(url_for(".pack", **_period_args(period)) + "#actions")
