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
    bad = post_form(client, "/shop-a/console/team", {"name": "", "email": "agent@a.example.com", "role": "agent", "password": "short"})
    html = bad.get_data(as_text=True)
    assert "该邮箱已有账号" in html and "请输入姓名" in html and "密码至少需要 10 个字符" in html
    ok = post_form(client, "/shop-a/console/team", {"name": "小王", "email": "New@A.example.com", "role": "agent", "password": "long enough pw"})
    assert ok.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@a.example.com"))
        assert user.tenant_id == two_tenants["a"] and user.role == "agent"
        with cross_tenant("test"):
            assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff.created")).tenant_id == two_tenants["a"]


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
    assert "staff.updated" in audit


def test_agent_cannot_read_the_audit_trail(client, two_tenants):
    login(client, "agent@a.example.com")
    assert client.get("/shop-a/console/audit").status_code == 403
