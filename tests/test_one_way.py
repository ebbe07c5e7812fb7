"""One way to do each thing in the web layer: one CSRF-only form, one staff_only decorator, CSRF on every POST."""

from __future__ import annotations

import ast
from pathlib import Path

from saas.extensions import db
from tests.factories import login, make_tenant, make_user

ROOT = Path(__file__).resolve().parents[1]


def _definitions(name: str) -> list[str]:
    """Where a class or function called `name` is defined in saas/, tenants/ and workers/."""
    found = []
    for package in ("saas", "tenants", "workers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == name:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_csrf_only_form_and_staff_only_are_defined_once():
    assert _definitions("PlainForm") == [f for f in _definitions("PlainForm") if f.startswith("saas/forms.py:")]
    assert len(_definitions("PlainForm")) == 1, _definitions("PlainForm")
    assert len(_definitions("staff_only")) == 1, _definitions("staff_only")
    assert _definitions("staff_only")[0].startswith("saas/blueprints/access.py:")


def _sample_url(rule, slug: str) -> str:
    values = {}
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__
        values[arg] = slug if arg == "slug" else (1 if "Int" in converter or "Number" in converter else "x")
    return rule.build(values, append_unknown=False)[1]


def test_every_post_without_a_csrf_token_is_refused_before_its_view(app, client):
    """CSRFProtect covers every POST route but the token-authenticated API: views need no form of their own
    to check the token, which is why the CSRF-only form carries no validation duty."""
    with app.app_context():
        tenant = make_tenant("csrf-shop")
        make_user(tenant, "owner", "owner@csrf-shop.example.com")
        db.session.commit()
    login(client, "owner@csrf-shop.example.com")
    checked = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint.startswith(("api.", "static")):
            continue
        url = _sample_url(rule, "csrf-shop")
        response = client.post(url, data={"anything": "1"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        checked.append(rule.endpoint)
    # The routes whose only form used to be a CSRF-only copy are among them.
    for endpoint in (
        "admin_platform.suspend_tenant",
        "cases_console.case_action",
        "recalls_console.resume_recall",
        "notifications_console.resend",
        "supervise.review",
        "policy_console.apply_preset",
        "templates_console.reset_template",
        "admin_supervision.revoke_grant",
    ):
        assert endpoint in checked, endpoint
