"""Strangers cannot lock anyone out: limits per (account, address), the paused password and the e-mailed
one-time link; sessions end server-side; the team form's same answer; caching and transport headers.

Limits are counted in the real Redis; the sign-in mail goes through the RQ worker to a real SMTP peer.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.models.user import User
from saas.services import signin
from tests.factories import csrf_token, login, make_tenant, make_user, post_form
from tests.test_notifications import run_worker, smtp  # noqa: F401  (the aiosmtpd fixture)

OWNER = "owner@a.example.com"


@pytest.fixture
def people(app):
    with app.app_context():
        t = make_tenant("shop-a")
        make_user(t, "owner", OWNER)
        make_user(t, "agent", "agent@a.example.com")
        other = make_tenant("shop-b")
        make_user(other, "owner", "owner@b.example.com")
        db.session.commit()


def client_from(app, ip: str):
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = ip
    return c


def hammer(app, email: str, ips: int, per_ip: int) -> None:
    """A stranger tries wrong passwords for `email` from `ips` addresses."""
    for i in range(ips):
        c = client_from(app, f"198.51.100.{i + 1}")
        for k in range(per_ip):
            r = login(c, email, f"guess-{i}-{k}")
            assert r.status_code in (200, 429)


def _link_from(mail) -> str:
    text = mail.get_body(("plain",)).get_content()
    m = re.search(r"http://localhost(/login/link/\S+)", text)
    assert m, text
    return m.group(1)


# ---------- limits that stop guessing without handing anyone a lock ----------


def test_one_address_guessing_one_account_is_stopped_but_the_owner_elsewhere_signs_in(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT_IP", "5 per 15 minutes")
    stranger = client_from(app, "198.51.100.7")
    codes = [login(stranger, OWNER, f"bad{i}").status_code for i in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    # The same stranger's address may still sign in to another account (limit per account and address).
    assert login(stranger, "agent@a.example.com").status_code == 302
    # The owner, from their own address, signs in with the password as always.
    assert login(client_from(app, "203.0.113.5"), OWNER).status_code == 302


def test_many_failures_from_many_addresses_pause_the_password_and_offer_a_link(app, people, smtp):
    hammer(app, OWNER, ips=7, per_ip=5)  # 35 wrong passwords: more than today's 30-per-hour lock
    owner = client_from(app, "203.0.113.5")
    r = login(owner, OWNER)  # even the right password is not checked while the account is under attack
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="signin-paused"' in html and 'id="link-form"' in html
    with owner.session_transaction() as s:
        assert "_user_id" not in s
    sent = post_form(owner, "/login/link", {"email": OWNER}, form_url="/login/link")
    assert sent.status_code == 200 and 'id="link-sent"' in sent.get_data(as_text=True)
    run_worker(app)
    assert [m["To"] for m in smtp.messages] == [OWNER]
    path = _link_from(smtp.messages[0])
    confirm = owner.get(path)
    assert confirm.status_code == 200 and OWNER in confirm.get_data(as_text=True)
    signed_in = post_form(owner, path, {})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/shop-a/console/"
    assert owner.get("/shop-a/console/").status_code == 200
    # Single use: the same link, again (from another browser), is refused.
    again = app.test_client()
    assert again.get(path).status_code == 400
    assert post_form(again, path, {}, form_url="/login/link").status_code == 400


def test_the_pause_looks_the_same_for_an_address_without_an_account(app, people, smtp):
    for email in (OWNER, "nobody@a.example.com"):
        hammer(app, email, ips=5, per_ip=5)
    pages = []
    for email in (OWNER, "nobody@a.example.com"):
        c = client_from(app, "203.0.113.9")
        paused = login(c, email, "whatever-password").get_data(as_text=True)
        sent = post_form(c, "/login/link", {"email": email}, form_url="/login/link").get_data(as_text=True)
        pages.append([re.sub(r'value="[^"]*"', "", p).replace(email, "X") for p in (paused, sent)])
    assert pages[0] == pages[1]
    run_worker(app)
    assert [m["To"] for m in smtp.messages] == [OWNER]  # only a real account gets mail


def test_one_address_alone_does_not_pause_the_account(app, people):
    stranger = client_from(app, "198.51.100.7")
    for i in range(25):
        login(stranger, OWNER, f"bad{i}")
    with app.test_request_context():
        assert not signin.under_attack(OWNER)
    assert login(client_from(app, "203.0.113.5"), OWNER).status_code == 302


def test_link_requests_are_limited_per_account_not_a_spam_cannon(app, people, smtp):
    for i in range(6):
        c = client_from(app, f"198.51.100.{i + 1}")
        assert post_form(c, "/login/link", {"email": OWNER}, form_url="/login/link").status_code == 200
    run_worker(app)
    assert len(smtp.messages) == 3  # SIGNIN_LINK_LIMIT: 3 per 15 minutes per account


def test_a_link_expires_and_a_forged_or_disabled_one_is_refused(app, people, monkeypatch):
    with app.test_request_context():
        user = db.session.scalar(select(User).where(User.email == OWNER))
        token = signin.make_link_token(user)
    c = app.test_client()
    # Change a character well inside the signature: the last one carries padding bits base64 ignores,
    # so "…xy" → "…xx" could leave the signature as it was.
    forged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    assert c.get(f"/login/link/{forged}").status_code == 400
    monkeypatch.setattr(signin, "LINK_MAX_AGE", -1)
    assert c.get(f"/login/link/{token}").status_code == 400
    monkeypatch.setattr(signin, "LINK_MAX_AGE", 900)
    assert c.get(f"/login/link/{token}").status_code == 200
    with app.app_context():
        db.session.scalar(select(User).where(User.email == OWNER)).is_enabled = False
        db.session.commit()
    assert c.get(f"/login/link/{token}").status_code == 400


def test_a_password_sign_in_spends_earlier_links(app, people):
    with app.test_request_context():
        token = signin.make_link_token(db.session.scalar(select(User).where(User.email == OWNER)))
    assert login(app.test_client(), OWNER).status_code == 302
    assert app.test_client().get(f"/login/link/{token}").status_code == 400


# ---------- sessions end on the server ----------


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_stops_working_after_sign_out(app, people):
    c = app.test_client()
    assert login(c, OWNER).status_code == 302
    stolen = _cookie(c)
    token = csrf_token(c, "/shop-a/console/")
    assert c.post("/logout", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    r = replay.get("/shop-a/console/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_new_password_and_a_disabled_account_end_sessions(app, people):
    owner, agent = app.test_client(), app.test_client()
    login(owner, OWNER), login(agent, "agent@a.example.com")
    assert agent.get("/shop-a/console/").status_code == 200
    with app.app_context():
        agent_id = db.session.scalar(select(User.id).where(User.email == "agent@a.example.com"))
    r = post_form(owner, f"/shop-a/console/team/{agent_id}", {"role": "agent"})  # is_enabled unticked
    assert r.status_code == 302
    assert agent.get("/shop-a/console/").status_code == 302
    assert owner.get("/shop-a/console/").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == OWNER))
        user.set_password("a brand new password")
        db.session.commit()
    assert owner.get("/shop-a/console/").status_code == 302
    assert login(app.test_client(), OWNER, "a brand new password").status_code == 302


def test_a_rehash_at_sign_in_does_not_end_sessions(app, people, monkeypatch):
    c = app.test_client()
    login(c, OWNER)
    monkeypatch.setitem(app.config, "ARGON2_PARAMS", {"time_cost": 2, "memory_cost": 1024, "parallelism": 1})
    assert login(app.test_client(), OWNER).status_code == 302  # rehashed with the new cost
    assert c.get("/shop-a/console/").status_code == 200


# ---------- the team form does not tell which addresses have accounts ----------


def test_team_add_answers_the_same_for_an_address_with_an_account_elsewhere(app, people):
    owner = app.test_client()
    login(owner, OWNER)
    answers = []
    for email in ("owner@b.example.com", "fresh@a.example.com"):
        r = post_form(
            owner,
            "/shop-a/console/team",
            {"name": "小王", "email": email, "role": "agent", "password": "long enough pw"},
            follow_redirects=True,
        )
        html = r.get_data(as_text=True)
        answers.append((r.status_code, re.findall(r'<div class="flash[^>]*>.*?</div>', html, re.S)))
    assert answers[0][0] == answers[1][0] == 200
    assert answers[0][1] == answers[1][1] and answers[0][1]
    with app.app_context():
        b_owner = db.session.scalar(select(User).where(User.email == "owner@b.example.com"))
        assert b_owner.tenant.slug == "shop-b" and b_owner.name != "小王"  # untouched


# ---------- caching and transport headers ----------


def test_personal_pages_are_not_stored_and_the_policy_page_may_be(app, people):
    from datetime import date

    from saas.services import policies
    from tenants.models import Tenant

    with app.app_context():
        t = db.session.scalar(select(Tenant).where(Tenant.slug == "shop-a"))
        from tenants.scoping import tenant_context

        with tenant_context(t.id):
            policies.ensure_draft(t, None)
            policies.publish(t, None, date(2026, 1, 1), allow_past=True)
            db.session.commit()
    anon = app.test_client()
    for _ in range(2):  # the second is answered by the page cache
        policy = anon.get("/shop-a/policy")
        assert policy.status_code == 200 and "no-store" not in policy.headers.get("Cache-Control", "")
    c = app.test_client()
    login(c, OWNER)
    for url in ("/shop-a/console/", "/shop-a/console/team", "/shop-a/track"):
        assert c.get(url).headers["Cache-Control"] == "no-store", url
    assert app.test_client().get("/login").headers["Cache-Control"] == "no-store"
    assert app.test_client().get("/s/not-a-survey").headers["Cache-Control"] == "no-store"
    with app.app_context():
        make_user(None, "operator", "op@example.com")
        db.session.commit()
    op = app.test_client()
    login(op, "op@example.com")
    assert op.get("/admin/").headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/api/v1/tenants/shop-a/policy").headers.get("Cache-Control", "")


def test_hsts_over_https_and_in_production_only(app, monkeypatch):
    c = app.test_client()
    assert "Strict-Transport-Security" not in c.get("/login").headers
    assert (
        c.get("/login", base_url="https://localhost")
        .headers["Strict-Transport-Security"]
        .startswith("max-age=31536000")
    )
    from config import ProductionConfig

    assert ProductionConfig.HSTS is True
