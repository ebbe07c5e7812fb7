"""The shops service: opening a shop with its owner, suspending and reactivating it, without a request."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.models.audit import AuditEvent
from saas.models.user import User
from saas.services import shops
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tests.factories import make_tenant, make_user

SHOP = {
    "slug": "tea-house",
    "name_zh": "茶馆",
    "name_en": "Tea house",
    "contact_phone": "400-800-1234",
    "contact_email": "service@tea.example.com",
    "timezone": "Asia/Shanghai",
    "default_locale": "en",
    "brand_colour": "#AA3366",
    "owner_name": "王老板",
    "owner_email": "Boss@Tea.example.com",
    "owner_password": "a long enough password",
}


@pytest.fixture
def operator(app):
    with app.app_context():
        make_tenant("shop-a")
        user_id = make_user(None, "operator", "op@example.com").id
        db.session.commit()
    return user_id


def test_a_shop_opens_with_its_owner_in_the_callers_transaction(app, operator):
    with app.app_context():
        op = db.session.get(User, operator)
        tenant = shops.create_shop(op, **SHOP)
        assert (tenant.slug, tenant.brand_colour, tenant.default_locale, tenant.is_active) == (
            "tea-house",
            "#aa3366",
            "en",
            True,
        )
        owner = db.session.scalar(select(User).where(User.tenant_id == tenant.id))
        assert (owner.email, owner.role) == ("boss@tea.example.com", "owner")
        with tenant_context(tenant.id):
            assert {e.action for e in db.session.scalars(select(AuditEvent))} == {"tenant.created", "staff.created"}
        db.session.rollback()  # flushed, not committed: the caller decides
        assert db.session.scalar(select(Tenant).where(Tenant.slug == "tea-house")) is None
        assert db.session.scalar(select(User).where(User.email == "boss@tea.example.com")) is None


@pytest.mark.parametrize(
    "field,value,code",
    [
        ("slug", "admin", "slug_reserved"),
        ("slug", "console", "slug_reserved"),
        ("slug", "Tea_House", "slug_format"),
        ("slug", "shop-a", "slug_taken"),
        ("timezone", "Mars/Olympus", "timezone"),
        ("owner_email", "op@example.com", "owner_email_taken"),
    ],
)
def test_a_refused_shop_names_its_field_and_writes_nothing(app, operator, field, value, code):
    with app.app_context():
        with pytest.raises(shops.ShopError) as refused:
            shops.create_shop(db.session.get(User, operator), **{**SHOP, field: value})
        assert (refused.value.code, refused.value.field) == (code, field)
        assert refused.value.message != code  # a sentence for the operator, not the key
        assert not db.session.new
        assert db.session.scalar(select(Tenant).where(Tenant.name_en == "Tea house")) is None


def test_suspending_twice_records_once(app, operator):
    with app.app_context():
        op = db.session.get(User, operator)
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "shop-a"))
        assert shops.suspend(tenant, op) is True
        assert shops.suspend(tenant, op) is False
        assert tenant.is_active is False
        assert shops.reactivate(tenant, op) is True
        assert shops.reactivate(tenant, op) is False
        db.session.commit()
        with tenant_context(tenant.id):
            actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["tenant.suspended", "tenant.reactivated"]
        assert db.session.get(Tenant, tenant.id).is_active is True


def test_the_overview_counts_each_shops_staff(app, operator):
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "shop-a"))
        make_user(tenant, "owner", "owner@a.example.com")
        make_user(tenant, "agent", "agent@a.example.com")
        rows, staff = shops.overview()
        assert [t.slug for t in rows] == ["shop-a"] and staff == {tenant.id: 2}
