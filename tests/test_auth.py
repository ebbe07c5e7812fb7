"""Sign-in: CSRF, one message for every failure, rate limits, session rotation, headers."""

from __future__ import annotations

import re

from saas.extensions import db
from tests.factories import csrf_token, login, make_tenant, make_user, post_form


def _people(app):
    with app.app_context():
        t = make_tenant("shop-a")
        make_user(t, "owner", "owner@a.example.com")
        make_user(None, "supervisor", "sup@example.com")
        make_user(None, "operator", "op@example.com")
        make_user(t, "agent", "off@a.example.com", is_enabled=False)
        db.session.commit()


def _without_token(html: str) -> str:
    return re.sub(r'value="[^"]+"(?= */?>)', "", re.sub(r'name="csrf_token"[^>]*', "", html))


def test_each_role_lands_on_its_own_home(app, client):
    _people(app)
    assert login(client, "owner@a.example.com").headers["Location"] == "/shop-a/console/"
    for email, home in (("sup@example.com", "/supervise/"), ("op@example.com", "/admin/")):
        c = app.test_client()
        assert login(c, email).headers["Location"] == home
        assert c.get(home).status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(app, client):
    _people(app)
    wrong = login(client, "owner@a.example.com", "wrong password")
    unknown = login(app.test_client(), "nobody@a.example.com", "wrong password")
    disabled = login(app.test_client(), "off@a.example.com")
    assert wrong.status_code == unknown.status_code == disabled.status_code == 200
    assert "邮箱或密码错误" in wrong.get_data(as_text=True)
    assert _without_token(wrong.get_data(as_text=True).replace("owner@a", "X")) == _without_token(
        unknown.get_data(as_text=True).replace("nobody@a", "X")
    )


def test_post_without_csrf_token_is_refused(app, client):
    _people(app)
    r = client.post("/login", data={"email": "owner@a.example.com", "password": "correct horse battery"})
    assert r.status_code == 400
    assert client.get("/shop-a/console/").status_code == 302  # still signed out


def test_login_is_rate_limited_per_ip(app, client):
    _people(app)
    codes = [login(client, "owner@a.example.com", f"bad{i}").status_code for i in range(12)]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    # Even the right password is refused while the limit holds.
    assert login(client, "owner@a.example.com").status_code == 429


def test_session_rotates_at_login(app, client):
    _people(app)
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "by an attacker"
        old_csrf = s.get("csrf_token")
    assert login(client, "owner@a.example.com").status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s.get("csrf_token") != old_csrf
        assert s.get("_user_id")


def test_next_parameter_cannot_leave_the_site(app, client):
    _people(app)
    token = csrf_token(client, "/login")
    r = client.post(
        "/login?next=//evil.example.com/x",
        data={"email": "owner@a.example.com", "password": "correct horse battery", "csrf_token": token},
    )
    assert r.headers["Location"] == "/shop-a/console/"


def test_logout_needs_post_and_ends_the_session(app, client):
    _people(app)
    login(client, "owner@a.example.com")
    client.get("/logout")  # a link or an image tag cannot sign anyone out
    assert client.get("/shop-a/console/").status_code == 200
    assert post_form(client, "/logout", {}, form_url="/shop-a/console/").status_code == 302
    assert client.get("/shop-a/console/").status_code == 302


def test_security_headers(client):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_validation_messages_in_both_languages(client):
    token = csrf_token(client, "/login")
    zh = client.post("/login", data={"email": "not-an-email", "password": "", "csrf_token": token}).get_data(
        as_text=True
    )
    assert "请输入有效的邮箱地址" in zh and "请输入密码" in zh
    token = csrf_token(client, "/login?lang=en")
    en = client.post("/login", data={"email": "not-an-email", "password": "", "csrf_token": token}).get_data(
        as_text=True
    )
    assert "Please enter a valid email address." in en and "Please enter your password." in en


def test_supervisor_cannot_enter_operator_or_console(app, client):
    _people(app)
    login(client, "sup@example.com")
    assert client.get("/admin/").status_code == 404
    assert client.get("/shop-a/console/").status_code == 404


def test_passwords_are_argon2id(app):
    _people(app)
    from sqlalchemy import select

    from saas.models.user import User

    with app.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
