"""One family for refused actions: every service refuses with a ServiceError subclass, and the web side
shows it one way (a flash from `refused`, or the app-wide 400 handler) in the reader's language."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import saas.services
from saas.extensions import db
from saas.services import accounts, cases, complaints, retention, surveys
from saas.services.errors import ServiceError

ROOT = Path(__file__).resolve().parent.parent


def _service_modules():
    for info in pkgutil.iter_modules(saas.services.__path__):
        yield importlib.import_module(f"saas.services.{info.name}")


def test_every_public_service_exception_is_a_service_error():
    found = {}
    for module in _service_modules():
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Exception)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found[f"{module.__name__}.{name}"] = issubclass(obj, ServiceError)
    assert len(found) >= 10 and all(found.values()), {k for k, ok in found.items() if not ok}


def test_services_do_not_refuse_any_other_way():
    pattern = re.compile(r"raise ValueError\(|\babort\(|from flask import[^\n]*\babort\b")
    offenders = [
        p.name for p in (ROOT / "saas/services").glob("*.py") if p.name != "errors.py" and pattern.search(p.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize("lang, expected", [("zh_Hans", "请填写手机号或邮箱。"), ("en", "Please give a mobile number")])
def test_an_uncaught_refusal_is_a_400_in_the_readers_language(app, lang, expected):
    with app.test_request_context(f"/?lang={'en' if lang == 'en' else 'zh'}"):
        response = app.make_response(app.handle_user_exception(cases.CaseError("contact")))
    assert response.status_code == 400 and expected in response.get_data(as_text=True)
    with app.test_request_context("/api/v1/x"):
        response = app.make_response(app.handle_user_exception(complaints.ComplaintError("too_long", n=4000)))
    assert response.status_code == 400 and "4000" in response.get_json()["error"]["message"]


def test_messages_and_fields(app):
    with app.test_request_context("/?lang=en"):
        assert accounts.AccountError("self").message.startswith("You cannot change your own role")
        assert surveys.SurveyError("score").message == "Please choose a score from 1 to 5."
        error = retention.RetentionError("days", field="retention_days", min=30, max=3650)
        assert error.message == "Please enter a whole number of days from 30 to 3650."
        assert error.field == "retention_days"
    with app.test_request_context("/?lang=zh"):
        assert "30" in error.message and "天" in error.message
    for code in cases.CaseError.MESSAGES:
        assert cases.CaseError(code).code == code


def test_retention_refuses_with_its_error_and_keeps_nothing(app):
    from tests.factories import make_tenant

    with app.app_context():
        tenant = make_tenant("shop-a", retention_days=365)
        for bad in (0, 29, 3651, True, "90"):
            with pytest.raises(retention.RetentionError):
                retention.set_retention_days(tenant, None, bad)
        assert tenant.retention_days == 365
        db.session.rollback()
