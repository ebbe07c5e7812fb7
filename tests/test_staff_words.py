"""Staff screens say things in words: audit actions and targets, and the operator's navigation."""

from __future__ import annotations

from datetime import date

from saas.extensions import db
from saas.services import policies
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tests.factories import login, make_user


def _publish(tenant_id: int, actor_id: int | None, day: date) -> None:
    from saas.models.user import User

    with tenant_context(tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        actor = db.session.get(User, actor_id) if actor_id else None
        policies.ensure_draft(tenant, actor)
        policies.publish(tenant, actor, day, allow_past=True)
        db.session.commit()


def test_audit_trail_names_actions_and_the_version_number_not_the_row_id(app, client, two_tenants):
    with app.app_context():
        # Shop B's versions come first, so shop A's second version is not row 2.
        _publish(two_tenants["b"], two_tenants["b_owner"], date(2026, 1, 1))
        _publish(two_tenants["a"], two_tenants["a_owner"], date(2026, 1, 1))
        _publish(two_tenants["a"], two_tenants["a_owner"], date(2026, 2, 1))
    login(client, "owner@a.example.com")
    zh = client.get("/shop-a/console/audit?lang=zh").get_data(as_text=True)
    assert "发布了售后政策" in zh and "售后政策 第 2 版" in zh and "售后政策 第 1 版" in zh
    assert "policy.published" not in zh and "PolicyVersion" not in zh
    en = client.get("/shop-a/console/audit?lang=en").get_data(as_text=True)
    assert "Policy published" in en and "Policy version 2" in en and "PolicyVersion" not in en
    # The event's own page too.
    from sqlalchemy import select

    from saas.models.audit import AuditEvent

    with app.app_context(), tenant_context(two_tenants["a"]):
        event_id = db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "policy.published").order_by(AuditEvent.id.desc())
        ).first()
    page = client.get(f"/shop-a/console/audit/{event_id}?lang=zh").get_data(as_text=True)
    assert "售后政策 第 2 版" in page and "<code>policy.published</code>" not in page
    assert "生效日期" in page and "effective_date" not in page


def test_audit_details_are_in_words(app, client, two_tenants):
    from sqlalchemy import select

    from saas.models.audit import AuditEvent
    from saas.models.user import User
    from saas.services import audit

    with app.app_context(), tenant_context(two_tenants["a"]):
        owner = db.session.get(User, two_tenants["a_owner"])
        agent = db.session.get(User, two_tenants["a_agent"])
        audit.record(two_tenants["a"], owner, "staff.updated", agent, role=["agent", "admin"], enabled=[True, False])
        audit.record(
            two_tenants["a"], owner, "message_template.save", None, key="survey_invitation", channel="sms", locale="en"
        )
        db.session.commit()
        ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    login(client, "owner@a.example.com")
    staff = client.get(f"/shop-a/console/audit/{ids[-2]}?lang=zh").get_data(as_text=True)
    assert "客服 → 管理员" in staff and "是 → 否" in staff and "员工 " in staff
    template = client.get(f"/shop-a/console/audit/{ids[-1]}?lang=en").get_data(as_text=True)
    assert "Survey invitation" in template and "SMS" in template and "English" in template
    assert "survey_invitation" not in template and '"channel"' not in template


def test_operator_pages_carry_the_operator_navigation(app, client):
    with app.app_context():
        make_user(None, "operator", "op@platform.example.com")
        db.session.commit()
    login(client, "op@platform.example.com")
    for url in ("/admin/", "/admin/supervisors/", "/admin/calendar", "/admin/tenants"):
        page = client.get(url + "?lang=en").get_data(as_text=True)
        nav = page.split("<header", 1)[1].split("</header>", 1)[0]
        for link in ('href="/admin/tenants"', 'href="/admin/supervisors/"', 'href="/admin/complaints"'):
            assert link in nav, (url, link)


# The template list shows each key under its name on purpose, for merchants writing templates
# (the templates console is its own feature); every other list speaks words.
SHOWS_KEYS_ON_PURPOSE = {"/voltmart/console/templates"}


def test_console_and_admin_pages_of_the_demo_show_no_internal_keys(app):
    import re

    from tests.e2e.journey import INTERNAL_KEYS

    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    found = {}
    for email, prefix, slug in (
        ("owner@voltmart.demo", "/<slug>/console", "voltmart"),
        ("operator@platform.demo", "/admin", ""),
    ):
        client = app.test_client()
        login(client, email, "demo-password-2026")
        urls = sorted(
            {
                r.rule.replace("<slug>", slug)
                for r in app.url_map.iter_rules()
                if "GET" in r.methods and r.rule.startswith(prefix) and not set(r.arguments) - {"slug"}
            }
        )
        assert len(urls) > 5
        for url in urls:
            if url in SHOWS_KEYS_ON_PURPOSE:
                continue
            for lang in ("zh", "en"):
                r = client.get(f"{url}?lang={lang}")
                if r.status_code != 200 or r.mimetype != "text/html":
                    continue
                main = r.get_data(as_text=True).split("<main", 1)[-1].split("</main>", 1)[0]
                keys = set(INTERNAL_KEYS.findall(re.sub(r"<[^>]+>", " ", main)))
                if keys:
                    found[f"{url}?lang={lang}"] = sorted(keys)
    assert not found, found
