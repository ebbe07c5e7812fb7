"""Supervision reports: the sample's verdicts and masked rows, on the page and as CSV."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from saas.masking import mask_case_number, mask_text
from saas.models.supervision import CHECKS, RESULTS
from saas.services import case_messages
from saas.services.csv_files import SafeWriter
from saas.services.supervision import RESULT_LABELS, check_label
from saas.services.supervision_review import masked_review
from saas.services.supervision_sampling import OpenSample
from tenants.scoping import tenant_context


def report(opened: OpenSample, lang: str) -> dict:
    """Summary counts by verdict and per-case rows, every free-text value masked."""
    counts = {k: 0 for k in (*RESULTS, "pending")}
    rows = []
    with tenant_context(opened.sample.tenant_id):
        for item in opened.items:
            counts[item.verdict or "pending"] += 1
            case = item.case
            review = masked_review(item)
            rows.append(
                {
                    "case_id": case.id,
                    "number": mask_case_number(case.number),
                    "type": case_messages.label(item.stratum or case.problem_type),
                    "status": case_messages.label(case.status),
                    "resolved_at": case.resolved_at,
                    "closed_at": case.closed_at,
                    **review,
                }
            )
    s = opened.sample
    return {
        "tenant": opened.access.tenant.name(lang),
        "slug": opened.access.tenant.slug,
        "period_start": s.period_start,
        "period_end": s.period_end,
        "seed": s.seed,
        "stratified": s.stratified,
        "size": len(opened.items),
        "size_requested": s.size_requested,
        "population": s.population,
        "drawn_by": s.supervisor.name if s.supervisor else "",
        "drawn_at": s.created_at,
        "counts": counts,
        "rows": rows,
        "allocation": [(case_messages.label(k), v[0], v[1]) for k, v in (s.allocation or {}).items()],
    }


def _cell(value) -> str:
    return mask_text("" if value is None else str(value))  # SafeWriter then keeps it from starting a formula


def report_csv(data: dict, when_fmt) -> bytes:
    """The report as CSV, UTF-8 with a BOM so that Excel opens the Chinese text correctly."""
    w = SafeWriter()
    w.writerow([_cell(x) for x in (str(_l("Shop")), data["tenant"])])
    w.writerow(
        [
            _cell(x)
            for x in (str(_l("Period")), f"{data['period_start'].isoformat()} – {data['period_end'].isoformat()}")
        ]
    )
    w.writerow([_cell(x) for x in (str(_l("Seed")), data["seed"])])
    w.writerow([_cell(x) for x in (str(_l("Drawn by")), data["drawn_by"], when_fmt(data["drawn_at"]))])
    w.writerow([_cell(x) for x in (str(_l("Cases in the sample")), data["size"])])
    w.writerow([_cell(x) for x in (str(_l("Cases resolved or closed in the period")), data["population"])])
    for key in (*RESULTS, "pending"):
        w.writerow([_cell(str(RESULT_LABELS.get(key, _l("Not reviewed yet")))), data["counts"][key]])
    w.writerow([])
    header = [str(_l("Case")), str(_l("Type")), str(_l("Status")), str(_l("Resolved")), str(_l("Closed"))]
    for k in CHECKS:
        header += [check_label(k), str(_l("Comment"))]
    header += [str(_l("Verdict")), str(_l("Findings")), str(_l("Merchant's response"))]
    w.writerow([_cell(h) for h in header])
    for row in data["rows"]:
        cells = [row["number"], row["type"], row["status"], when_fmt(row["resolved_at"]), when_fmt(row["closed_at"])]
        for check in row["checks"]:
            cells += [check["result_label"] if check["result"] else "", check["comment"]]
        cells += [
            row["verdict_label"] if row["verdict"] else "",
            row["findings"],
            " | ".join(r["text"] for r in row["responses"]),
        ]
        w.writerow([_cell(c) for c in cells])
    return w.getvalue()
