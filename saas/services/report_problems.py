"""Top problems of a report period in the customers' own words: counted in SQL from the words each case
keeps (PostgreSQL), else segmented from the texts (reports_text)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, text

from saas.extensions import db
from saas.models.case import Case, CaseEvent, CaseLine
from saas.models.order import OrderLine
from saas.services.reports_text import MAX_DOCS, Doc, rank_problems, top_problems
from tenants.models import Tenant


def problems(tenant: Tenant, start: datetime, end: datetime, prev_start: datetime, prev_end: datetime) -> list:
    """Top problems of the period. On PostgreSQL, when the period's cases all keep their problem words, the
    words are counted in SQL (unnest, GROUP BY) and only each recurring phrase's case ids come back;
    otherwise (SQLite, or cases older than the kept words) the texts are read and counted in Python."""
    if db.session.get_bind().dialect.name != "postgresql":
        return top_problems(docs(tenant, start, end), docs(tenant, prev_start, prev_end))
    # The window's cases are read once off ix_cases_tenant_created (MATERIALIZED: otherwise the planner may
    # walk the primary key backwards through the shop's whole history to find the latest MAX_DOCS), then
    # the latest MAX_DOCS of them are kept. The same read says whether any case lacks its kept words.
    window = (
        "WITH win AS MATERIALIZED (SELECT id, problem_product AS p, problem_words AS ws FROM cases "
        "WHERE tenant_id = :t AND created_at >= :s AND created_at < :e), "
        "docs AS (SELECT id, p, ws FROM win ORDER BY id DESC LIMIT :max), "
        "pw AS (SELECT d.id, d.p, w FROM docs d, unnest(string_to_array(d.ws, ' ')) AS w WHERE w <> '') "
    )
    rows = db.session.execute(
        text(
            window + "SELECT g.p, g.w, g.n, g.ids, g.spread, (SELECT count(DISTINCT p) FROM docs), f.unsegmented "
            "FROM (SELECT coalesce(bool_or(ws IS NULL), false) AS unsegmented FROM win) f LEFT JOIN ("
            "SELECT p, w, count(*) AS n, array_agg(id) AS ids, count(*) OVER (PARTITION BY w) AS spread "
            "FROM pw GROUP BY p, w) g ON g.n >= :min"
        ),
        {"t": tenant.id, "s": start, "e": end, "max": MAX_DOCS, "min": 2},
    ).all()
    if rows[0][6]:  # cases filed before words were kept: their texts are segmented in Python
        return top_problems(docs(tenant, start, end), docs(tenant, prev_start, prev_end))
    rows = [row[:6] for row in rows if row[0] is not None]
    if not rows:
        return []
    candidates = {(p, w): frozenset(ids) for p, w, _n, ids, _s, _np in rows}
    spread = {w: n for _p, w, _n, _ids, n, _np in rows}
    previous = {
        (p, w): n
        for p, w, n in db.session.execute(
            text(window + "SELECT p, w, count(*) FROM pw WHERE w = ANY(:words) GROUP BY p, w"),
            {"t": tenant.id, "s": prev_start, "e": prev_end, "max": MAX_DOCS, "words": sorted(spread)},
        )
    }
    problems = rank_problems(candidates, spread, rows[0][5], previous, lambda cid: "")
    shown = {cid for p in problems for cid, _n in p.examples}
    numbers = dict(
        db.session.execute(select(Case.id, Case.number).where(Case.tenant_id == tenant.id, Case.id.in_(shown))).all()
    )
    for p in problems:
        p.examples = [(cid, numbers.get(cid, "")) for cid, _n in p.examples]
    return problems


def docs(tenant: Tenant, start: datetime, end: datetime) -> list[Doc]:
    """The words customers wrote on the period's cases (at most MAX_DOCS, the latest), per product.

    Cases keep their problem words, segmented when written (kpi_facts.set_words); cases older than that
    are segmented here from their description and messages.
    """
    rows = db.session.execute(
        select(Case.id, Case.number, Case.problem_words, Case.problem_product)
        .where(Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end)
        .order_by(Case.id.desc())
        .limit(MAX_DOCS)
    ).all()
    found = [
        Doc(cid, number, product, "", frozenset(words.split()))
        for cid, number, words, product in rows
        if words is not None
    ]
    older = [cid for cid, _n, words, _p in rows if words is None]
    if older:
        found += unsegmented(tenant, older)
    return found


def unsegmented(tenant: Tenant, ids: list[int]) -> list[Doc]:
    sku = (
        select(func.min(OrderLine.sku))
        .join(CaseLine, CaseLine.order_line_id == OrderLine.id)
        .where(CaseLine.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Case.id, Case.number, Case.description, Case.category, sku).where(
            Case.tenant_id == tenant.id, Case.id.in_(ids)
        )
    ).all()
    messages: dict[int, list[str]] = defaultdict(list)
    for case_id, data in db.session.execute(  # the messages of those cases only
        select(CaseEvent.case_id, CaseEvent.data).where(
            CaseEvent.tenant_id == tenant.id, CaseEvent.case_id.in_(ids), CaseEvent.kind == "consumer_message"
        )
    ):
        messages[case_id].append(str((data or {}).get("text", "")))
    return [
        Doc(cid, number, sku_ or category, " ".join([text, *messages.get(cid, [])]))
        for cid, number, text, category, sku_ in rows
    ]
