"""The load-test data generator: counts add up, every state appears, the same seed gives the same cases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from saas.demo.generate import generate
from saas.extensions import db
from saas.models.case import Case, CaseEvent
from saas.models.notification import Notification
from saas.models.sla import SlaClock
from saas.models.survey import Survey
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import make_tenant, make_user

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _snapshot(tenant_id: int) -> list[tuple]:
    with tenant_context(tenant_id):
        cases = db.session.execute(
            select(
                Case.number,
                Case.status,
                Case.problem_type,
                Case.customer_name,
                Case.mobile,
                Case.created_at,
                Case.due_at,
            ).order_by(Case.id)
        ).all()
        events = db.session.execute(
            select(Case.number, CaseEvent.kind, CaseEvent.to_status, CaseEvent.customer_message, CaseEvent.created_at)
            .join(CaseEvent.case)
            .order_by(CaseEvent.id)
        ).all()
        return [tuple(c) for c in cases] + [tuple(e) for e in events]


@pytest.mark.real_commits  # the generator writes on a connection of its own
def test_generate_counts_and_determinism(app):
    with app.app_context():
        a, b = make_tenant("gen-a"), make_tenant("gen-b")
        make_user(a, "agent"), make_user(b, "agent")
        db.session.commit()
        first = generate(a, 200, seed=7, now=NOW, chunk=64)
        second = generate(b, 200, seed=7, now=NOW)
        assert first.cases == second.cases == 200
        assert first.rows == second.rows
        with cross_tenant("test counts"):
            for model, name in (
                (Case, "cases"),
                (CaseEvent, "case_events"),
                (SlaClock, "sla_clocks"),
                (Notification, "notifications"),
                (Survey, "surveys"),
            ):
                count = db.session.scalar(select(func.count()).select_from(model).where(model.tenant_id == a.id))
                assert count == first.rows[name], name
            assert first.rows["case_events"] > 200 and first.rows["surveys"] > 0
            statuses = set(db.session.scalars(select(Case.status).where(Case.tenant_id == a.id)))
        assert {"submitted", "accepted", "closed"} <= statuses
        assert _snapshot(a.id) == _snapshot(b.id)
        # Another seed gives other cases.
        generate(a, 5, seed=8, now=NOW)
        with tenant_context(a.id):
            numbers = list(db.session.scalars(select(Case.number)))
        assert len(numbers) == len(set(numbers)) == 205
