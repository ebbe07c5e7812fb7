"""The shop's reports page and its CSV, for owners and admins (§7)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _

from saas.blueprints import report_charts as charts
from saas.blueprints.access import require_tenant_staff, roles_required
from saas.i18n import current_lang
from saas.services import case_messages, orders, reasons, report_periods, reports, sla
from saas.services.reports_csv import cases_csv
from tenants.clock import shop_today
from tenants.resolver import current_tenant, pull_slug

bp = Blueprint("reports", __name__, url_prefix="/<slug>/console")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

TYPE_ORDER = ("food_safety", "quality", "return_exchange", "complaint", "consultation")


def _period():
    today = shop_today(current_tenant)
    args = request.args
    return report_periods.parse_period(args.get("period"), args.get("from"), args.get("to"), today), today


def _charts(report: reports.Report) -> dict:
    lang = current_lang()
    day = (lambda d: f"{d.month}/{d.day}") if lang == "zh" else (lambda d: f"{d.day} {d:%b}")
    # Only the types the period has, each in its own colour whatever the period.
    present = {k for _d, counts in report.per_day for k in counts}
    shown = [(i, k) for i, k in enumerate(TYPE_ORDER) if k in present] or [(1, "quality")]
    out = {
        "per_day": charts.stacked_bars(
            _("Cases per day by type"),
            [(day(d), c) for d, c in report.per_day],
            [(k, case_messages.label(k)) for _i, k in shown],
            tuple(charts.PALETTE[i] for i, _k in shown),
        ),
        "response": charts.bars(_("First response, working minutes"), report.response_buckets),
        "resolution": charts.bars(_("Resolution, working days"), report.resolution_buckets, charts.PALETTE[2]),
    }
    if report.satisfaction_trend:
        out["satisfaction"] = charts.line(
            _("Satisfaction by day (out of 100)"),
            [(day(d), v, n) for d, v, n in report.satisfaction_trend],
            target=reports.SATISFACTION_TARGET,
        )
    if report.problems:
        names = {sku: name for sku, name, _n in report.by_sku}
        out["problems"] = charts.hbars(
            _("Top problems"),
            [
                (f"{p.phrase} · {names.get(p.product) or orders.category_label(p.product, lang)}", p.count, p.change)
                for p in report.problems
            ],
        )
    return out


@bp.get("/reports")
@roles_required("owner", "admin")
def report():
    try:
        period, today = _period()
    except report_periods.PeriodError as exc:
        # The form again with what was typed, and the message; no figures for a range that is not one.
        today = shop_today(current_tenant)
        return render_template(
            "console/reports/report.html",
            error=exc.message,
            today=today,
            report=None,
            period=report_periods.parse_period("this_week", None, None, today),
            charts={},
            args=request.args,
        ), 400
    report = reports.build(current_tenant, period)
    reason_labels = reasons.labels(current_tenant, current_lang())
    return render_template(
        "console/reports/report.html",
        error=None,
        period=period,
        today=today,
        report=report,
        charts=_charts(report),
        args=request.args,
        label=case_messages.label,
        clock_label=lambda kind: str(sla.CLOCK_LABELS.get(kind, kind)),
        reason_label=lambda code: reason_labels.get(code, code) if code else _("No reason recorded"),
        category_label=lambda key: orders.category_label(key, current_lang()),
    )


@bp.get("/reports.csv")
@roles_required("owner", "admin")
def report_csv():
    try:
        period, _today = _period()
    except report_periods.PeriodError as exc:
        return Response(exc.message, status=400, mimetype="text/plain")
    name = f"cases-{current_tenant.slug}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
    return Response(
        cases_csv(current_tenant, period, current_lang()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
