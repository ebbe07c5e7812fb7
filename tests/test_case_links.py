"""The signed link in every message about a case opens it without typing, even when strangers have used up
the case number's lookups; forged, expired, another shop's or purged links open nothing."""

from __future__ import annotations

import re

from sqlalchemy import select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.notification import DevSms
from saas.services import case_links
from tenants.scoping import cross_tenant
from tests.factories import make_tenant, post_form
from tests.test_notifications import at, file, run_worker, shop, smtp  # noqa: F401  (fixtures)


def _filed(app, shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    with travel_to(at(2026, 11, 23, 10, 1)):  # the SMS goes out in the daytime, not in quiet hours
        run_worker(app)
    return Case(id=case.id, number=case.number, mobile=case.mobile, email=case.email)  # plain values


def _sms_link(case: Case) -> str:
    db.session.remove()  # a fresh view of what the worker wrote
    texts = db.session.scalars(select(DevSms.text)).all()
    found = [m.group(1) for t in texts for m in [re.search(r"http://localhost(/notify-shop/t/\S+)", t)] if m]
    assert found, texts
    return found[-1]


def _client(app, ip: str):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    return c


def test_every_message_carries_a_link_that_opens_the_case(app, smtp, shop):
    case = _filed(app, shop)
    link = _sms_link(case)
    mail = smtp.messages[-1].get_body(("plain",)).get_content()
    assert "/notify-shop/t/" in mail
    phone = app.test_client()
    r = phone.get(link)
    assert r.status_code == 303 and r.headers["Location"] == f"/notify-shop/track/{case.number}"
    page = phone.get(r.headers["Location"])
    assert page.status_code == 200 and case.number in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    again = phone.get(r.headers["Location"])  # answered from the case page cache: still not stored
    assert again.status_code == 200 and again.headers["Cache-Control"] == "no-store"


def test_the_link_works_after_strangers_used_up_the_case_numbers_lookups(app, smtp, shop):
    case = _filed(app, shop)
    for i in range(12):
        post_form(_client(app, f"198.51.100.{i + 1}"), "/notify-shop/track", {"number": case.number, "factor": "0000"})
    owner_typing = _client(app, "203.0.113.5")
    refused = post_form(owner_typing, "/notify-shop/track", {"number": case.number, "factor": case.mobile[-4:]})
    assert refused.status_code == 429  # the per-number limit holds against typing …
    phone = _client(app, "203.0.113.5")
    r = phone.get(_sms_link(case))  # … but not against the link from the SMS
    assert r.status_code == 303
    assert phone.get(r.headers["Location"]).status_code == 200


def test_forged_expired_other_shops_and_purged_links_open_nothing(app, smtp, shop, monkeypatch):
    case = _filed(app, shop)
    link = _sms_link(case)
    with app.app_context():
        make_tenant("other-shop")
        db.session.commit()
    c = app.test_client()
    assert c.get(link[:-3] + "abc").status_code == 404
    assert c.get(link.replace("/notify-shop/", "/other-shop/")).status_code == 404
    monkeypatch.setattr(case_links, "MAX_AGE", -1)
    expired = c.get(link)
    assert expired.status_code == 404 and "/notify-shop/track" in expired.get_data(as_text=True)
    monkeypatch.setattr(case_links, "MAX_AGE", 90 * 24 * 3600)
    with app.app_context(), cross_tenant("test"):
        stored = db.session.get(Case, case.id)
        stored.mobile, stored.email = "", ""  # what retention leaves of the contacts
        db.session.commit()
    assert c.get(link).status_code == 404
    with c.session_transaction() as s:
        assert case.id not in s.get("tracked", [])


def test_links_are_limited_per_address(app, smtp, shop, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_TRACK_LINK_IP", "3 per 10 minutes")
    c = _client(app, "198.51.100.1")
    codes = [c.get(f"/notify-shop/t/guess{i}").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]
