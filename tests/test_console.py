"""The merchant console's team page: who may add and change staff."""

from __future__ import annotations

from sqlalchemy import select

from saas.extensions import db
from saas.models.audit import AuditEvent
from saas.models.user import User
from tenants.scoping import cross_tenant
from tests.factories import login, post_form


def test_owner_adds_an_agent_with_validation(app, client, two_tenants):
    login(client, "owner@a.example.com")
    bad = post_form(
        client,
        "/shop-a/console/team",
        {"name": "", "email": "agent@a.example.com", "role": "agent", "password": "short"},
    )
    html = bad.get_data(as_text=True)
    assert "请输入姓名" in html and "密码至少需要 10 个字符" in html
    # Whether an address has an account (here or on any shop) is not revealed: see test_team_add_answer_*.
    assert "该邮箱已有账号" not in html
    ok = post_form(
        client,
        "/shop-a/console/team",
        {"name": "小王", "email": "New@A.example.com", "role": "agent", "password": "long enough pw"},
    )
    assert ok.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@a.example.com"))
        assert user.tenant_id == two_tenants["a"] and user.role == "agent"
        with cross_tenant("test"):
            assert (
                db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.created")).tenant_id
                == two_tenants["a"]
            )


def test_agent_cannot_change_roles(app, client, two_tenants):
    login(client, "agent@a.example.com")
    url = f"/shop-a/console/team/{two_tenants['a_owner']}"
    assert post_form(client, url, {"role": "agent", "is_enabled": "y"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, two_tenants["a_owner"]).role == "owner"


def test_owner_cannot_demote_themself(app, client, two_tenants):
    login(client, "owner@a.example.com")
    url = f"/shop-a/console/team/{two_tenants['a_owner']}"
    r = post_form(client, url, {"role": "agent", "is_enabled": "y"}, follow_redirects=True)
    assert "不能修改自己的角色" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, two_tenants["a_owner"]).role == "owner"


def test_owner_promotes_agent_and_it_is_audited(app, client, two_tenants):
    login(client, "owner@a.example.com")
    url = f"/shop-a/console/team/{two_tenants['a_agent']}"
    assert post_form(client, url, {"role": "admin", "is_enabled": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, two_tenants["a_agent"]).role == "admin"
    audit = client.get("/shop-a/console/audit").get_data(as_text=True)
    assert "修改了员工" in audit and "staff.updated" not in audit


def test_agent_cannot_read_the_audit_trail(client, two_tenants):
    login(client, "agent@a.example.com")
    assert client.get("/shop-a/console/audit").status_code == 403


# ------------------------------------------------------------------ shop settings

SHOP = {
    "name_zh": "甲店",
    "name_en": "Shop A",
    "contact_phone": "400-800-1234",
    "contact_email": "help@a.example.com",
    "brand_colour": "#aa3300",
    "return_recipient": "售后部 李娜",
    "return_phone": "010-8888 6666",
    "return_address_zh": "北京市朝阳区建国路 88 号 3 号库",
    "return_address_en": "",
}


def test_owner_keeps_the_shop_profile_and_return_address(app, client, two_tenants):
    login(client, "owner@a.example.com")
    r = post_form(client, "/shop-a/console/settings", SHOP)
    assert r.status_code == 302
    with app.app_context(), cross_tenant("test"):
        from tenants.models import Tenant

        shop = db.session.get(Tenant, two_tenants["a"])
        assert (shop.contact_phone, shop.return_recipient, shop.return_address("en")) == (
            "400-800-1234",
            "售后部 李娜",
            "北京市朝阳区建国路 88 号 3 号库",
        )
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "shop.updated"))
        assert event.tenant_id == two_tenants["a"] and event.details["return_phone"] == "010-8888 6666"
    # Public pages show the new contact at once (the shop's cached pages and row are dropped on commit).
    assert "400-800-1234" in client.get("/shop-a/").get_data(as_text=True)
    assert "400-800-1234" not in client.get("/shop-b/").get_data(as_text=True)


def test_shop_settings_refuse_bad_input_and_keep_nothing(app, client, two_tenants):
    login(client, "owner@a.example.com")
    for bad, field_message in (
        ({"contact_phone": "call me"}, "phone number"),
        ({"brand_colour": "red"}, "#rrggbb"),
        ({"contact_email": "not-an-email"}, "valid email"),
        ({"name_zh": ""}, "Chinese name"),
        ({"return_address_zh": ""}, "recipient, the phone and the address together"),
    ):
        r = post_form(client, "/shop-a/console/settings?lang=en", {**SHOP, **bad})
        assert r.status_code == 400 and field_message in r.get_data(as_text=True), bad
    with app.app_context(), cross_tenant("test"):
        from tenants.models import Tenant

        assert db.session.get(Tenant, two_tenants["a"]).contact_phone == ""
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "shop.updated")) is None


def test_only_managers_change_shop_settings(app, client, two_tenants):
    login(client, "agent@a.example.com")
    assert client.get("/shop-a/console/settings").status_code == 403
    assert post_form(client, "/shop-a/console/settings", SHOP, form_url="/shop-a/console/").status_code == 403
    owner = app.test_client()
    login(owner, "owner@b.example.com")
    assert owner.get("/shop-a/console/settings").status_code in (403, 404)  # another shop's console
