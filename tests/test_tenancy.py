"""Tenant isolation: the ORM guard, and every id-taking route answering 404 across tenants."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import delete, func, select, update

from saas.extensions import db
from saas.models.audit import AuditEvent
from tenants.clock import shop_today
from tenants.scoping import CROSS_TENANT, TenantNotSet, cross_tenant, tenant_context
from tests.factories import csrf_token, login

# Route arguments that are not object ids (a category is a fixed key, the same for every tenant).
# A survey token is itself the (unguessable, tenant-free) capability.
NON_ID_ARGS = {"slug", "filename", "lang", "category", "action", "token", "key", "channel", "locale"}


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
    # Consumer pages: the client first proves it owns A's case, as its owner would.
    prove: Callable | None = None


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


def _order(tenant_id: int) -> int:
    from decimal import Decimal

    from saas.models.order import Order, OrderLine

    with tenant_context(tenant_id):
        order = Order(
            order_number="A-1001",
            channel="taobao",
            purchase_date=date(2026, 1, 5),
            customer_name="张三",
            mobile="13812345678",
            lines=[OrderLine(sku="S1", name="T恤", quantity=1, unit_price=Decimal("59.90"))],
        )
        db.session.add(order)
        db.session.commit()
        return order.id


_CASES: dict[int, dict] = {}


def _case(ids: dict) -> dict:
    """One case of tenant A with a photo; the same one for every route of a test."""
    import io

    from PIL import Image

    from saas.evidence import check_upload, clean_image  # clean_image: the evidence worker's step
    from saas.services import case_evidence, case_intake
    from tenants.models import Tenant

    if ids["a"] in _CASES:
        return _CASES[ids["a"]]
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "green").save(buf, "JPEG")
    with tenant_context(ids["a"]):
        case = case_intake.file_case(
            db.session.get(Tenant, ids["a"]),
            case_intake.Intake(
                order_number="A-1",
                customer_name="甲",
                mobile="13800001234",
                email="",
                purchase_channel="jd",
                problem_type="return_exchange",
                description="尺码不合适",
                expected_resolution="return",
                purchase_date=date(2026, 11, 1),
                delivery_date=date(2026, 11, 3),
            ),
        )
        item = case_evidence.attach(case, [clean_image(check_upload(io.BytesIO(buf.getvalue()), "a.jpg"))], "consumer")[
            0
        ]
        db.session.commit()
        _CASES[ids["a"]] = {"case_id": case.id, "number": case.number, "evidence_id": item.id}
    return _CASES[ids["a"]]


@pytest.fixture(autouse=True)
def _forget_cases():
    yield
    _CASES.clear()


def _prove_case(client, kwargs) -> None:
    token = csrf_token(client, "/shop-a/track")
    r = client.post("/shop-a/track", data={"number": kwargs["number"], "factor": "1234", "csrf_token": token})
    assert r.headers["Location"].endswith(kwargs["number"])


def _tracked(extra=()):
    return lambda ids: {k: v for k, v in _case(ids).items() if k in ("number", *extra)}


def _dead_notification(ids: dict) -> dict:
    from saas.models.notification import Notification

    case = _case(ids)
    with tenant_context(ids["a"]):
        n = db.session.scalar(select(Notification).where(Notification.case_id == case["case_id"]))
        n.status = "dead"
        db.session.commit()
        return {"notification_id": n.id}


def _follow_up(ids: dict) -> dict:
    from saas.models.survey import FollowUpTask

    case = _case(ids)
    with tenant_context(ids["a"]):
        task = FollowUpTask(case_id=case["case_id"], reason="慢", status="open")
        db.session.add(task)
        db.session.commit()
        return {"task_id": task.id}


def _improvement_action(ids: dict) -> dict:
    from datetime import date

    from saas.models.review import ImprovementAction

    with tenant_context(ids["a"]):
        action = ImprovementAction(
            problem_key="k|包装破损",
            problem_label="包装破损",
            description="换箱",
            owner_id=ids["a_owner"],
            due_date=date(2030, 1, 1),
            status="open",
        )
        db.session.add(action)
        db.session.commit()
        return {"action_id": action.id}


def _recall(ids: dict) -> dict:
    from tests.test_recalls import insert_recall

    return {"recall_id": insert_recall(ids["a"], _case(ids)["case_id"])}


def _complaint(ids: dict) -> dict:
    """A complaint about shop A, forwarded to it (before that, even A's staff get 404)."""
    from saas.models.user import User
    from saas.services import complaint_compensations, complaint_desk, complaints
    from tenants.models import Tenant
    from tests.factories import make_user

    if "complaint" in _CASES:
        return _CASES["complaint"]
    operator = db.session.scalar(select(User).where(User.role == "operator")) or make_user(
        None, "operator", "op@platform.example.com"
    )
    with tenant_context(ids["a"]):
        complaint = complaints.submit(db.session.get(Tenant, ids["a"]), text="三天没人回复", mobile="13911112222")
        db.session.commit()
        complaint_id = complaint.id
    complaint_desk.forward(complaint_desk.for_operator(complaint_id), operator, "请核实")
    compensation = complaint_compensations.record_compensation(
        complaint_desk.for_operator(complaint_id), operator, "50.00", "未按政策退款"
    )
    db.session.commit()
    _CASES["complaint"] = {"complaint_id": complaint_id, "compensation_id": compensation.id}
    return _CASES["complaint"]


def _complaint_reference(ids: dict) -> dict:
    from saas.models.complaint import PlatformComplaint

    complaint_id = _complaint(ids)["complaint_id"]
    with cross_tenant("test"):
        return {"reference": db.session.get(PlatformComplaint, complaint_id).reference}


def _prove_complaint(client, kwargs) -> None:
    token = csrf_token(client, "/shop-a/complaints/lookup")
    r = client.post(
        "/shop-a/complaints/lookup", data={"reference": kwargs["reference"], "factor": "2222", "csrf_token": token}
    )
    assert r.headers["Location"].endswith(kwargs["reference"])


def _reason(ids: dict) -> dict:
    from saas.models.reason import ReasonCode

    with tenant_context(ids["a"]):
        return {"reason_id": db.session.scalar(select(ReasonCode.id).where(ReasonCode.code == "size"))}


ID_ROUTES: dict[str, IdRoute] = {
    "complaints.status": IdRoute(_complaint_reference, public=True, prove=_prove_complaint),
    "complaints.console_detail": IdRoute(lambda ids: {"complaint_id": _complaint(ids)["complaint_id"]}),
    "recalls_console.new_recall": IdRoute(lambda ids: {"case_id": _case(ids)["case_id"]}),
    "recalls_console.recall_detail": IdRoute(_recall),
    "recalls_console.resume_recall": IdRoute(_recall),
    "cases_console.respond_to_findings": IdRoute(lambda ids: {"case_id": _case(ids)["case_id"]}),
    "notifications_console.resend": IdRoute(_dead_notification),
    "notifications_console.follow_up_done": IdRoute(_follow_up),
    "reviews.action_done": IdRoute(_improvement_action),
    "cases_console.case_detail": IdRoute(lambda ids: {"case_id": _case(ids)["case_id"]}),
    "cases_console.case_action": IdRoute(lambda ids: {"case_id": _case(ids)["case_id"], "action": "accept"}),
    "cases_console.case_slip": IdRoute(lambda ids: {"case_id": _case(ids)["case_id"]}),
    "cases_console.evidence_file": IdRoute(lambda ids: {"evidence_id": _case(ids)["evidence_id"]}),
    "tracking.case_page": IdRoute(_tracked(), public=True, prove=_prove_case),
    "tracking.message": IdRoute(_tracked(), public=True, prove=_prove_case),
    "tracking.return_shipped": IdRoute(_tracked(), public=True, prove=_prove_case),
    "tracking.updates": IdRoute(_tracked(), public=True, prove=_prove_case),
    "tracking.slip": IdRoute(_tracked(), public=True, prove=_prove_case),
    "tracking.evidence_file": IdRoute(_tracked(("evidence_id",)), public=True, prove=_prove_case),
    "policy_console.version": IdRoute(lambda ids: {"version_id": _policy_versions(ids)["version_id"]}),
    "public.policy_version": IdRoute(lambda ids: {"number": _policy_versions(ids)["number"]}, public=True),
    "console.member": IdRoute(lambda ids: {"user_id": ids["a_agent"]}),
    "console.availability": IdRoute(lambda ids: {"user_id": ids["a_agent"]}),
    "console.audit_event": IdRoute(lambda ids: {"event_id": _audit(ids["a"])}),
    "orders_console.order_detail": IdRoute(lambda ids: {"order_id": _order(ids["a"])}),
    "reasons_console.change_reason": IdRoute(_reason),
}


def _id_endpoints(app) -> dict[str, object]:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if set(rule.arguments) - NON_ID_ARGS}


def test_every_id_route_is_in_the_matrix(app):
    missing = set(_id_endpoints(app)) - set(ID_ROUTES) - set(PLATFORM_ROUTES)
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
    route = ID_ROUTES[endpoint]
    if route.prove is not None:
        route.prove(client, kwargs)
    with app.app_context():
        before = _snapshot()
    with app.test_request_context():
        # B's staff in B's console asking for A's object, and in A's console.
        urls = [url_for(endpoint, slug="shop-b", **kwargs)]
        if not ID_ROUTES[endpoint].public:
            urls.append(url_for(endpoint, slug="shop-a", **kwargs))
    for url in urls:
        if "GET" in rule.methods:
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
    if route.prove is not None:
        route.prove(own_client, kwargs)
    with app.test_request_context():
        own = url_for(endpoint, slug="shop-a", **kwargs)
    if "GET" in rule.methods:
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
        _audit(ids["a"], "a.one")
        b1 = _audit(ids["b"], "b.one")
        with tenant_context(ids["a"]):
            assert db.session.scalars(select(AuditEvent.action)).all() == ["a.one"]
            assert db.session.get(AuditEvent, b1) is None
        with tenant_context(ids["b"]):
            assert db.session.scalars(select(AuditEvent.action)).all() == ["b.one"]


def test_guard_scopes_tables_named_only_in_from_subqueries_and_exists(app, two_tenants):
    """all_mappers does not see select_from(), subqueries or EXISTS: the guard looks for the tables."""
    ids = two_tenants
    with app.app_context():
        _audit(ids["a"], "a.one"), _audit(ids["b"], "b.one"), _audit(ids["b"], "b.two")
        statements = {
            "select_from": select(func.count()).select_from(AuditEvent),
            "subquery": select(func.count()).select_from(select(AuditEvent.id).subquery()),
            "scalar subquery": select(select(func.count(AuditEvent.id)).scalar_subquery()),
        }
        for name, stmt in statements.items():
            with tenant_context(ids["a"]):
                assert db.session.scalar(stmt) == 1, name
            with tenant_context(ids["b"]):
                assert db.session.scalar(stmt) == 2, name
            with pytest.raises(TenantNotSet):
                db.session.scalar(stmt)
            db.session.rollback()
        with tenant_context(ids["a"]):
            assert (
                db.session.scalar(select(select(AuditEvent.id).where(AuditEvent.action == "b.one").exists())) is False
            )


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
        str(p)
        for p in pathlib.Path("saas/blueprints").rglob("*.py")
        if pattern.search(p.read_text(encoding="utf-8")) and p.name != "core.py"  # core: SELECT 1 health probe
    ]
    assert offenders == []
    assert pattern.search("from sqlalchemy import select, text")


# ---------------------------------------------------------------- platform routes (no tenant slug)
# /supervise and /admin: an object id a user has no right to (another supervisor's sample, a case outside
# one's sample, any admin object for a non-operator) is a 404 as well.

_PLATFORM: dict[int, dict] = {}


def _platform_world(ids: dict) -> dict:
    """An operator, supervisor 1 granted shop A with a drawn sample, supervisor 2 with nothing."""
    from datetime import timedelta

    from saas.models.user import User
    from saas.services import cases, supervision, supervision_sampling
    from tenants.models import Tenant
    from tests.factories import make_user

    if ids["a"] in _PLATFORM:
        return _PLATFORM[ids["a"]]
    made = _case(ids)
    operator = make_user(None, "operator", "op@platform.example.com")
    s1 = make_user(None, "supervisor", "s1@cca.example.com")
    make_user(None, "supervisor", "s2@cca.example.com")
    tenant = db.session.get(Tenant, ids["a"])
    with tenant_context(ids["a"]):
        agent = db.session.get(User, ids["a_agent"])
        case = db.session.get(cases.Case, made["case_id"])
        cases.accept(case, agent)
        cases.propose(case, agent, "explanation", detail="尺码表已发送")
        cases.execute(case, agent)
    today = shop_today(tenant)
    row = supervision.grant(
        operator,
        s1,
        tenant,
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=30),
        evidence_images=True,
    )
    sample = supervision_sampling.draw_sample(
        s1, tenant.id, start=today - timedelta(days=1), end=today, size=5, stratified=False, seed=7
    )
    db.session.commit()
    _PLATFORM[ids["a"]] = {
        "sample_id": sample.id,
        "case_id": made["case_id"],
        "evidence_id": made["evidence_id"],
        "supervisor_id": s1.id,
        "grant_id": row.id,
    }
    return _PLATFORM[ids["a"]]


@pytest.fixture(autouse=True)
def _forget_platform():
    yield
    _PLATFORM.clear()


@dataclass
class PlatformRoute:
    make: Callable[[dict], dict]
    insider: str  # gets the page (GET routes)
    intruders: tuple[str, ...]  # get 404


def _pick(*keys):
    return lambda ids: {k: _platform_world(ids)[k] for k in keys}


_SUP = ("s2@cca.example.com", "owner@b.example.com")
_OPS = ("s1@cca.example.com", "owner@a.example.com")


def _platform_complaint(*keys):
    def make(ids):
        _platform_world(ids)
        return {k: _complaint(ids)[k] for k in keys}

    return make


PLATFORM_ROUTES: dict[str, PlatformRoute] = {
    "admin_platform.complaint_detail": PlatformRoute(
        _platform_complaint("complaint_id"), "op@platform.example.com", _OPS
    ),
    "admin_platform.complaint_forward": PlatformRoute(
        _platform_complaint("complaint_id"), "op@platform.example.com", _OPS
    ),
    "admin_platform.complaint_reply": PlatformRoute(
        _platform_complaint("complaint_id"), "op@platform.example.com", _OPS
    ),
    "admin_platform.complaint_compensation": PlatformRoute(
        _platform_complaint("complaint_id"), "op@platform.example.com", _OPS
    ),
    "admin_platform.compensation_recovered": PlatformRoute(
        _platform_complaint("compensation_id"), "op@platform.example.com", _OPS
    ),
    "admin_platform.suspend_tenant": PlatformRoute(
        lambda ids: (_platform_world(ids), {"tenant_id": ids["a"]})[1], "op@platform.example.com", _OPS
    ),
    "admin_platform.reactivate_tenant": PlatformRoute(
        lambda ids: (_platform_world(ids), {"tenant_id": ids["a"]})[1], "op@platform.example.com", _OPS
    ),
    "supervise.sample": PlatformRoute(_pick("sample_id"), "s1@cca.example.com", _SUP),
    "supervise.case": PlatformRoute(_pick("sample_id", "case_id"), "s1@cca.example.com", _SUP),
    "supervise.review": PlatformRoute(_pick("sample_id", "case_id"), "s1@cca.example.com", _SUP),
    "supervise.photo": PlatformRoute(_pick("sample_id", "case_id", "evidence_id"), "s1@cca.example.com", _SUP),
    "supervise.report": PlatformRoute(_pick("sample_id"), "s1@cca.example.com", _SUP),
    "supervise.report_csv": PlatformRoute(_pick("sample_id"), "s1@cca.example.com", _SUP),
    "admin_supervision.supervisor": PlatformRoute(_pick("supervisor_id"), "op@platform.example.com", _OPS),
    "admin_supervision.add_grant": PlatformRoute(_pick("supervisor_id"), "op@platform.example.com", _OPS),
    "admin_supervision.revoke_grant": PlatformRoute(_pick("grant_id"), "op@platform.example.com", _OPS),
}


@pytest.mark.parametrize("endpoint", sorted(PLATFORM_ROUTES))
def test_platform_ids_are_404_for_the_wrong_person(app, two_tenants, endpoint):
    route = PLATFORM_ROUTES[endpoint]
    rule = _id_endpoints(app)[endpoint]
    with app.app_context():
        kwargs = route.make(two_tenants)
    with app.test_request_context():
        url = url_for(endpoint, **kwargs)
    for who in route.intruders:
        client = app.test_client()
        assert login(client, who).status_code == 302
        with app.app_context():
            before = _snapshot()
        if "GET" in rule.methods:
            assert client.get(url).status_code == 404, (who, url)
        if "POST" in rule.methods:
            token = csrf_token(client, "/")  # the layout's sign-out form carries one
            assert client.post(url, data={"csrf_token": token, "overall": "fail"}).status_code == 404, (who, url)
        with app.app_context():
            after = _snapshot()
        # Signing in writes an audit row for staff; nothing else may change.
        after.pop("audit_events", None), before.pop("audit_events", None)
        assert after == before
    if "GET" in rule.methods:
        insider = app.test_client()
        login(insider, route.insider)
        assert insider.get(url).status_code == 200, url
