"""Tenant isolation: the ORM guard, and every id-taking route answering 404 across tenants."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable

import pytest
from flask import url_for
from sqlalchemy import delete, select, update

from saas.extensions import db
from saas.models.audit import AuditEvent
from tenants.scoping import CROSS_TENANT, TenantNotSet, cross_tenant, tenant_context
from tests.factories import csrf_token, login

# Route arguments that are not object ids (a category is a fixed key, the same for every tenant).
NON_ID_ARGS = {"slug", "filename", "lang", "category"}


def _audit(tenant_id: int, action: str = "test.event") -> int:
    with tenant_context(tenant_id):
        event = AuditEvent(action=action)
        db.session.add(event)
        db.session.commit()
        return event.id


@dataclass
class IdRoute:
    """How to build the URL arguments of an id route for an object of tenant A."""

    make: Callable[[dict], dict]
    # Public pages are open to anyone under their own tenant's slug; only the
    # other tenant's slug must not reach the object.
    public: bool = False


# Every registered route that takes an id must have an entry here.
def _policy_versions(ids: dict) -> dict:
    """A has versions 1 and 2, B only 1: A's version id (and number 2) must not open under B."""
    from saas.services import policies
    from tenants.models import Tenant

    for key, count in (("a", 2), ("b", 1)):
        with tenant_context(ids[key]):
            tenant = db.session.get(Tenant, ids[key])
            for n in range(count):
                policies.ensure_draft(tenant, None)
                policies.publish(tenant, None, date(2026, 1, 1 + n), allow_past=True)
            db.session.commit()
    with tenant_context(ids["a"]):
        version = policies.version_by_number(db.session.get(Tenant, ids["a"]), 2)
        return {"version_id": version.id, "number": version.number}


ID_ROUTES: dict[str, IdRoute] = {
    "policy_console.version": IdRoute(lambda ids: {"version_id": _policy_versions(ids)["version_id"]}),
    "public.policy_version": IdRoute(lambda ids: {"number": _policy_versions(ids)["number"]}, public=True),
    "console.member": IdRoute(lambda ids: {"user_id": ids["a_agent"]}),
    "console.audit_event": IdRoute(lambda ids: {"event_id": _audit(ids["a"])}),
}


def _id_endpoints(app) -> dict[str, object]:
    return {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()
        if set(rule.arguments) - NON_ID_ARGS
    }


def test_every_id_route_is_in_the_matrix(app):
    missing = set(_id_endpoints(app)) - set(ID_ROUTES)
    assert not missing, f"id-taking routes without a cross-tenant test: {sorted(missing)}"


def _snapshot() -> dict[str, list]:
    with cross_tenant("test snapshot"):
        return {
            t.name: sorted(map(tuple, db.session.execute(t.select()).all()), key=repr)
            for t in db.metadata.sorted_tables
        }


@pytest.mark.parametrize("endpoint", sorted(ID_ROUTES))
def test_other_tenants_ids_are_404(app, client, two_tenants, endpoint):
    ids = two_tenants
    rule = _id_endpoints(app)[endpoint]
    with app.app_context():
        kwargs = ID_ROUTES[endpoint].make(ids)
    assert login(client, "owner@b.example.com").status_code == 302
    with app.app_context():
        before = _snapshot()
    with app.test_request_context():
        # B's staff in B's console asking for A's object, and in A's console.
        urls = [url_for(endpoint, slug="shop-b", **kwargs)]
        if not ID_ROUTES[endpoint].public:
            urls.append(url_for(endpoint, slug="shop-a", **kwargs))
    for url in urls:
        assert client.get(url).status_code == 404, url
        if "POST" in rule.methods:
            from tests.factories import csrf_token

            token = csrf_token(client, "/shop-b/console/team")
            assert client.post(url, data={"csrf_token": token, "role": "owner", "is_enabled": ""}).status_code == 404
    with app.app_context():
        assert _snapshot() == before
    # The same URL for A's own staff works: the 404 above is isolation, not a broken route.
    own_client = app.test_client()
    assert login(own_client, "owner@a.example.com").status_code == 302
    with app.test_request_context():
        own = url_for(endpoint, slug="shop-a", **kwargs)
    assert own_client.get(own).status_code == 200


def test_staff_of_a_get_404_in_b_console(client, two_tenants):
    login(client, "agent@a.example.com")
    assert client.get("/shop-a/console/").status_code == 200
    assert client.get("/shop-b/console/").status_code == 404
    assert client.get("/shop-b/console/team").status_code == 404


def test_unknown_slug_is_404(client, two_tenants):
    assert client.get("/no-such-shop/").status_code == 404
    assert client.get("/no-such-shop/console/").status_code == 404


def test_anonymous_console_redirects_to_login(client, two_tenants):
    r = client.get("/shop-a/console/team")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_guard_scopes_selects_to_the_current_tenant(app, two_tenants):
    ids = two_tenants
    with app.app_context():
        a1, b1 = _audit(ids["a"], "a.one"), _audit(ids["b"], "b.one")
        with tenant_context(ids["a"]):
            assert db.session.scalars(select(AuditEvent.action)).all() == ["a.one"]
            assert db.session.get(AuditEvent, b1) is None
        with tenant_context(ids["b"]):
            assert db.session.scalars(select(AuditEvent.action)).all() == ["b.one"]


def test_guard_fails_closed_without_tenant(app, two_tenants):
    with app.app_context():
        _audit(two_tenants["a"])
        with pytest.raises(TenantNotSet):
            db.session.scalars(select(AuditEvent)).all()
        db.session.rollback()
        with pytest.raises(TenantNotSet):
            db.session.execute(delete(AuditEvent))
        db.session.rollback()


def test_guard_scopes_updates_and_deletes(app, two_tenants):
    ids = two_tenants
    with app.app_context():
        _audit(ids["a"], "a.one")
        _audit(ids["b"], "b.one")
        with tenant_context(ids["a"]):
            db.session.execute(update(AuditEvent).values(action="changed"))
            db.session.execute(delete(AuditEvent).where(AuditEvent.action == "b.one"))
            db.session.commit()
        with cross_tenant("test check"):
            actions = sorted(db.session.scalars(select(AuditEvent.action)))
        assert actions == ["b.one", "changed"]


def test_named_opt_out_reads_across_tenants(app, two_tenants):
    ids = two_tenants
    with app.app_context():
        _audit(ids["a"]), _audit(ids["b"])
        with cross_tenant("sweeper"):
            assert len(db.session.scalars(select(AuditEvent)).all()) == 2
        stmt = select(AuditEvent).execution_options(**{CROSS_TENANT: "operator scorecard"})
        assert len(db.session.scalars(stmt).all()) == 2
        with pytest.raises(ValueError):
            with cross_tenant(""):
                pass


def test_new_rows_take_the_tenant_and_refuse_another(app, two_tenants):
    ids = two_tenants
    with app.app_context():
        with tenant_context(ids["a"]):
            event = AuditEvent(action="x")
            db.session.add(event)
            db.session.flush()
            assert event.tenant_id == ids["a"]
            db.session.add(AuditEvent(action="y", tenant_id=ids["b"]))
            with pytest.raises(TenantNotSet):
                db.session.flush()
            db.session.rollback()
        db.session.add(AuditEvent(action="z"))
        with pytest.raises(TenantNotSet):
            db.session.flush()
        db.session.rollback()


def test_raw_sql_is_not_how_views_read(app):
    """The guard covers ORM statements; sqlalchemy.text() bypasses it, so views never import it."""
    import pathlib
    import re

    pattern = re.compile(r"^from sqlalchemy import [^\n]*\btext\b", re.M)
    offenders = [
        str(p) for p in pathlib.Path("saas/blueprints").rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8")) and p.name != "core.py"  # core: SELECT 1 health probe
    ]
    assert offenders == []
    assert pattern.search("from sqlalchemy import select, text")
