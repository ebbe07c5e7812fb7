"""`flask demo seed` adds orders and cases to the demo shops, through the real services, once."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.models.case import NODES, PROBLEM_TYPES, STATUSES, Case, Evidence
from saas.models.order import Order
from saas.services import case_evidence
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tests.factories import post_form
from tests.test_demo import _all_rows

SLUGS = ("tianshang", "kidswear", "voltmart")
PRINTED = re.compile(r"^\s+(\w+)\s+case (AS\S+)\s+track with (\d{4}) at (/\w+/track)$", re.M)


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    return result.output


def _per_tenant(fn):
    out = {}
    for slug in SLUGS:
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        with tenant_context(tenant.id):
            out[slug] = fn(tenant)
    return out


def _cases(tenant):
    return list(db.session.scalars(select(Case).where(Case.tenant_id == tenant.id).order_by(Case.id)))


def test_every_shop_gets_a_dozen_cases_across_states_and_types(seeded_demo):
    with seeded_demo.app_context():
        summary = _per_tenant(lambda t: [(c.status, c.problem_type, c.escalated, c.node) for c in _cases(t)])
    for slug, rows in summary.items():
        assert len(rows) >= 10, slug
        assert {node for *_, node in rows} == set(NODES), slug
        assert any(escalated for _, _, escalated, _ in rows), slug
    everything = [row for rows in summary.values() for row in rows]
    assert {status for status, *_ in everything} == set(STATUSES)
    assert {problem for _, problem, *_ in everything} == set(PROBLEM_TYPES)
    food_safety_shops = {slug for slug, rows in summary.items() if any(p == "food_safety" for _, p, *_ in rows)}
    assert food_safety_shops == {"tianshang"}


def test_orders_are_realistic_and_cases_link_to_them(seeded_demo):
    def check(tenant):
        today = datetime.now(ZoneInfo(tenant.timezone)).date()
        orders = list(db.session.scalars(select(Order).where(Order.tenant_id == tenant.id)))
        assert len(orders) >= 10
        for order in orders:
            assert 3 <= (today - order.purchase_date).days <= 40
            assert order.lines
            assert all(isinstance(line.unit_price, Decimal) and line.unit_price > 0 for line in order.lines)
            assert order.mobile or order.email
            assert re.fullmatch(r"1[3-9]\d{9}", order.mobile)
            assert not order.email or order.email.endswith("@example.com")
        cases = _cases(tenant)
        linked = [c for c in cases if c.order_verified]
        assert len(linked) >= 8 and all(c.order_id and c.lines and c.eligibility for c in linked)
        assert 1 <= sum(not c.order_verified for c in cases) <= 2
        lines = [line for order in orders for line in order.lines]
        return {line.category for line in lines}, {line.name for line in lines}

    with seeded_demo.app_context():
        found = _per_tenant(check)
    assert found["tianshang"][0] == {"dairy", "fresh_food"}
    assert any("酸奶" in n for n in found["tianshang"][1]) and any("鲜牛奶" in n for n in found["tianshang"][1])
    assert any("蛋糕" in n for n in found["tianshang"][1])
    assert found["kidswear"][0] == {"childrens_clothing"}
    assert found["voltmart"][0] == {"electronics", "home_appliance"}
    assert any("手机" in n for n in found["voltmart"][1]) and any("耳机" in n for n in found["voltmart"][1])
    assert any("电饭煲" in n for n in found["voltmart"][1])


def test_case_histories_are_real_events_spread_over_weeks(seeded_demo):
    def check(tenant):
        now = datetime.now(ZoneInfo(tenant.timezone))
        cases = _cases(tenant)
        filed = sorted(c.created_at for c in cases)
        assert filed[-1] - filed[0] > timedelta(days=10)
        kinds = set()
        for case in cases:
            times = [e.created_at for e in case.events]
            assert times == sorted(times) and times[-1] <= now, case.number
            assert case.events[0].kind == "submitted" and case.events[0].customer_message
            assert case.updated_at >= case.created_at
            assert case.number.startswith("AS" + case.created_at.astimezone(now.tzinfo).strftime("%y%m%d"))
            kinds |= {e.kind for e in case.events}
        parcels = [c for c in cases if c.status == "awaiting_return" and c.return_tracking_number]
        return kinds, bool(parcels), [c for c in cases if c.emergency]

    with seeded_demo.app_context():
        found = _per_tenant(check)
    for slug, (kinds, parcel, _) in found.items():
        assert {"consumer_message", "note", "staff_message", "accepted", "closed"} <= kinds, slug
        assert parcel, f"{slug}: no registered return parcel"
    # Only the food-safety cases are emergencies: the other dairy texts avoid the food-safety words.
    assert {c.problem_type for c in found["tianshang"][2]} == {"food_safety"}


def test_evidence_photos_are_checked_uploads_on_disk(seeded_demo):
    def check(tenant):
        items = list(db.session.scalars(select(Evidence).where(Evidence.tenant_id == tenant.id)))
        for item in items:
            path = case_evidence.file_path(item)
            assert path.is_file() and path.stat().st_size == item.size
            assert item.mime in ("image/jpeg", "image/png") and item.kind == "image"
        return items

    with seeded_demo.app_context():
        found = _per_tenant(check)
    for slug, items in found.items():
        assert len({i.case_id for i in items}) >= 5, slug
        assert {i.uploaded_by for i in items} >= {"consumer"}
    assert any(i.uploaded_by == "staff" for items in found.values() for i in items)


def test_history_leaves_only_the_last_minutes_in_the_outbox(seeded_demo):
    from saas.models.notification import Notification
    from saas.models.survey import Survey

    def check(tenant):
        now = datetime.now(ZoneInfo(tenant.timezone))
        rows = list(db.session.scalars(select(Notification).where(Notification.tenant_id == tenant.id)))
        pending = [n for n in rows if n.status in ("pending", "retry")]
        # Weeks of messages went out when they were due; only the freshly filed case's are left to send.
        assert all(n.next_attempt_at > now - timedelta(minutes=20) for n in pending)
        assert all(n.sent_at == n.next_attempt_at for n in rows if n.status == "sent")
        answered = db.session.scalars(select(Survey).where(Survey.tenant_id == tenant.id, Survey.status == "answered"))
        return len(pending), len(rows), list(answered)

    with seeded_demo.app_context():
        found = _per_tenant(check)
    for slug, (pending, total, _answered) in found.items():
        assert total > 50 and pending <= 4, slug
    assert sum(len(answered) for *_, answered in found.values()) >= 3


def test_second_seed_changes_nothing(app, seeded):
    upload_dir = Path(app.config["UPLOAD_DIR"])
    with app.app_context():
        before = _all_rows()
    files = sorted(upload_dir.rglob("*"))
    again = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert _all_rows() == before
    assert sorted(upload_dir.rglob("*")) == files
    # The same showcase cases are printed again.
    assert PRINTED.findall(again.output) == PRINTED.findall(seeded)


def test_printed_case_numbers_open_the_tracking_page(app, client, seeded):
    printed = PRINTED.findall(seeded)
    assert [slug for slug, *_ in printed] == list(SLUGS)
    for slug, number, factor, url in printed:
        assert url == f"/{slug}/track"
        r = post_form(client, url, {"number": number, "factor": factor})
        assert r.status_code == 303 and r.headers["Location"].endswith(f"/{slug}/track/{number}"), (slug, r.status_code)
        page = client.get(r.headers["Location"])
        assert page.status_code == 200
        assert number in page.get_data(as_text=True)


def test_demo_cases_render_in_the_console(app, client, seeded):
    from saas.demo.seed import DEMO_PASSWORD
    from tests.factories import login

    login(client, "owner@voltmart.demo", DEMO_PASSWORD)
    assert client.get("/voltmart/console/cases").status_code == 200
    with app.app_context():
        ids = _per_tenant(lambda t: [c.id for c in _cases(t)])["voltmart"]
    for case_id in ids:
        assert client.get(f"/voltmart/console/cases/{case_id}").status_code == 200, case_id
