"""The reports' faster SQL paths give the same answers as the plain ones (issue 16, item 8)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from saas.extensions import db
from saas.models.case import Case
from saas.services import report_periods, report_problems
from saas.services.reports_text import top_problems
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tests.test_report_kpis import FORTNIGHT, fortnight  # noqa: F401  (fixture)


def _key(problems):
    return [(p.product, p.phrase, p.count, p.previous, p.related, p.examples) for p in problems]


def _both(tenant, period):
    start, end = period.bounds(tenant.timezone)
    prev_start, prev_end = period.previous().bounds(tenant.timezone)
    python = top_problems(report_problems.docs(tenant, start, end), report_problems.docs(tenant, prev_start, prev_end))
    return report_problems.problems(tenant, start, end, prev_start, prev_end), python


def test_a_case_without_kept_words_sends_the_period_to_the_texts(app, fortnight):  # noqa: F811
    """One case of the period lacks its kept words (filed before they were kept): the texts are segmented
    instead, and the problems are those of the texts, the unsegmented case included."""
    with app.app_context(), tenant_context(fortnight["shop"]):
        tenant = db.session.get(Tenant, fortnight["shop"])
        before, _python = _both(tenant, FORTNIGHT)
        top = before[0]
        one = min(top.case_ids)  # a case of the top problem: ignoring its text would change the count
        db.session.execute(update(Case).where(Case.id == one).values(problem_words=None))
        db.session.flush()
        used, python = _both(tenant, FORTNIGHT)
        assert _key(used) == _key(python)
        assert (used[0].product, used[0].phrase, used[0].count) == (top.product, top.phrase, top.count)


def test_a_period_without_recurring_words_has_no_problems(app, fortnight):  # noqa: F811
    with app.app_context(), tenant_context(fortnight["shop"]):
        tenant = db.session.get(Tenant, fortnight["shop"])
        empty = report_periods.Period("custom", date(2025, 1, 1), date(2025, 1, 7))
        used, python = _both(tenant, empty)
        assert used == [] and python == []
