"""The shared factories build through the real services: a published policy, an order with lines, a filed case."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from saas.extensions import db
from saas.models.case import Case
from saas.services import policies
from tenants.scoping import tenant_context
from tests.factories import make_case, make_order, make_shop_with_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_shop_with_policy_publishes_its_terms_and_users(app):
    with app.app_context():
        tenant = make_shop_with_policy(
            "fac-shop",
            effective=date(2025, 6, 1),
            terms={"sms_quiet_end": "09:30"},
            users=[("owner", "owner@fac.example.com", {"name": "王店长"})],
        )
        db.session.commit()
        with tenant_context(tenant.id):
            version = policies.current_version(tenant, on=date(2025, 6, 1))
            assert version is not None and version.status == "published"
            assert version.terms["sms_quiet_end"] == "09:30"
            assert policies.current_version(tenant, on=date(2025, 5, 31)) is None
            assert policies.get_draft(tenant) is None


def test_order_and_case_go_through_the_intake_service(app):
    with app.app_context():
        tenant = make_shop_with_policy("fac-case")
        order = make_order(
            tenant, "F-1", lines=[dict(sku="A", name="杯子", category="general", quantity=2, unit_price="12.50")]
        )
        db.session.commit()
        case = make_case(
            tenant, datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI), commit=True, order_number="F-1", mobile=order.mobile
        )
        with tenant_context(tenant.id):
            stored = db.session.get(Case, case.id)
            assert stored.number and stored.order_verified and stored.order_id == order.id
            assert [(line.sku, line.quantity) for line in stored.order.lines] == [("A", 2)]
            assert stored.created_at.astimezone(SHANGHAI) == datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
