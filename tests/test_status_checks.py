"""Statuses are StrEnums, and the database refuses any other value (CHECK constraints)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from saas import create_app
from saas.extensions import db
from saas.models import statuses
from saas.models.base import utcnow
from saas.models.case import STATUSES, Case
from saas.models.sla import SlaClock
from tenants.scoping import tenant_context
from tests.conftest import make_config
from tests.factories import make_tenant


def _case(**over) -> Case:
    fields = dict(
        number="T0001",
        order_number="O-1",
        purchase_date=date(2026, 2, 1),
        customer_name="顾客",
        problem_type="quality",
        description="x",
        expected_resolution="refund",
    )
    fields.update(over)
    case = Case(**fields)
    db.session.add(case)
    db.session.flush()
    return case


def test_the_enums_are_the_model_tuples():
    assert STATUSES == tuple(statuses.CaseStatus)
    assert statuses.CaseStatus.CLOSED == "closed" and "closed" in STATUSES


def test_a_bad_case_status_is_refused_by_the_database(app):
    with app.app_context():
        tenant = make_tenant()
        with tenant_context(tenant.id):
            _case(status="accepted")
            db.session.commit()
            with pytest.raises(IntegrityError):
                _case(number="T0002", status="acepted")  # a typo
            db.session.rollback()
            case = db.session.query(Case).one()
            with pytest.raises(IntegrityError):
                db.session.execute(text("UPDATE cases SET resume_status = 'nonsense' WHERE id = :id"), {"id": case.id})
                db.session.flush()
            db.session.rollback()
            db.session.execute(text("UPDATE cases SET resume_status = NULL WHERE id = :id"), {"id": case.id})  # allowed
            db.session.commit()


def test_a_bad_clock_state_is_refused_by_the_database(app):
    with app.app_context():
        tenant = make_tenant()
        with tenant_context(tenant.id):
            case = _case()
            now = utcnow()
            db.session.add(
                SlaClock(
                    case_id=case.id,
                    kind="first_response",
                    target_minutes=10,
                    started_at=now,
                    due_at=now + timedelta(minutes=10),
                    state="runing",
                )
            )
            with pytest.raises(IntegrityError):
                db.session.flush()
            db.session.rollback()


def _constraint_names(conn, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_check_constraints(table)}


def test_every_status_column_has_its_constraint_in_models_and_migrations(app, databases, redis_url):
    expected = {(table, f"ck_{table}_{column}") for table, column, _enum, _nullable in statuses.CHECKED}
    with app.app_context(), db.engine.connect() as conn:  # the models' schema (create_all)
        assert {(t, n) for t, n in expected if n in _constraint_names(conn, t)} == expected
    migrated = create_app(make_config(databases.new("checks"), redis_url))
    with migrated.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert {(t, n) for t, n in expected if n in _constraint_names(conn, t)} == expected
        db.engine.dispose()


def test_the_migration_lists_the_same_values_as_the_enums():
    import importlib.util
    from pathlib import Path

    path = next(
        (Path(__file__).resolve().parent.parent / "migrations" / "versions").glob("*_status_check_constraints.py")
    )
    spec = importlib.util.spec_from_file_location("status_checks_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for table, column, enum, nullable in statuses.CHECKED:
        assert (column, tuple(enum), nullable) in [(c, tuple(v), n) for c, v, n in migration.CHECKS[table]]
