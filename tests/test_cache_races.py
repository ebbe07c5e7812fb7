"""Per-process page caches against a change committed on another host while a page renders.

A process keeps a rendered page under a cache token; another host's commit deletes that
token. The token a page is kept under must be the one read before the page's data was: if
it were read after, a change committed in between would leave the older page kept under the
fresh token, served stale by this process until it expired (found by the multi-node test's
design review; tests/faults/test_multinode.py shows the caches fresh across hosts).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from saas.blueprints import public, tracking
from saas.caches import pages
from saas.extensions import db
from saas.models.case import Case
from saas.services import policies
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.test_cases import _case, file_case, shop  # noqa: F401  (shop is a fixture)

# Another host's commit lands while a request's session is open: on one shared connection the request's
# savepoint would take that commit back with it when the request ends.
pytestmark = pytest.mark.real_commits


def _publish_elsewhere(app, promise: str) -> None:
    """What web A's publish does, from this process's point of view: rows committed, token deleted."""
    with app.app_context():  # its own session, as another host's request
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "voltmart"))
        with tenant_context(tenant.id):
            draft = policies.ensure_draft(tenant, None)
            policies.save_draft(tenant, None, {**draft.terms, "service_promise_zh": promise})
            policies.publish(tenant, None, shop_today(tenant), "elsewhere")
            db.session.commit()


def test_a_policy_published_while_the_page_renders_is_not_kept_stale(app, client, shop, monkeypatch):
    _publish_elsewhere(app, "第一版承诺")
    assert "第一版承诺" in client.get("/voltmart/policy").get_data(as_text=True)
    pages.clear()  # a process that has not kept the page yet
    real, published = public.clock.shop_today, []

    def today_while_web_a_publishes(tenant, *args, **kwargs):
        if not published:  # after this view read the versions, before it kept the page
            published.append(True)
            _publish_elsewhere(app, "第二版承诺")
        return real(tenant, *args, **kwargs)

    monkeypatch.setattr(public.clock, "shop_today", today_while_web_a_publishes)
    during = client.get("/voltmart/policy").get_data(as_text=True)
    assert published and "第一版承诺" in during  # rendered from what it had read
    monkeypatch.setattr(public.clock, "shop_today", real)
    after = client.get("/voltmart/policy").get_data(as_text=True)
    assert "第二版承诺" in after and "第一版承诺" not in after


def test_a_case_changed_while_its_page_renders_is_not_kept_stale(app, client, shop, monkeypatch):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    client.get(f"/voltmart/track/{number}")  # the "just filed" page: not kept
    client.get(f"/voltmart/track/{number}")
    before = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    assert before.count('class="node done"') < 4
    case_id = _case(app, number).id
    from saas.caches import case_pages

    case_pages._pages.clear()  # a process that has not kept the page yet (but knows the case)
    real, changed = tracking._page_case, []

    def load_while_an_agent_closes_it(n):
        loaded = real(n)
        if not changed:  # after this view loaded the case, before it kept the page
            changed.append(True)
            with app.app_context(), cross_tenant("another host"):
                db.session.get(Case, case_id).status = "closed"
                db.session.commit()
        return loaded

    monkeypatch.setattr(tracking, "_page_case", load_while_an_agent_closes_it)
    during = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    assert changed and during.count('class="node done"') < 4
    monkeypatch.setattr(tracking, "_page_case", real)
    assert client.get(f"/voltmart/track/{number}").get_data(as_text=True).count('class="node done"') == 4
