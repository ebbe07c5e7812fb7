"""Platform landing page, health check and error pages."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import select, text

from saas.extensions import db, redis
from saas.input_guard import InputRefused
from saas.services.errors import ServiceError
from tenants.models import Tenant

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    tenants = db.session.scalars(select(Tenant).where(Tenant.is_active.is_(True)).order_by(Tenant.slug)).all()
    return render_template("core/index.html", tenants=tenants)


@bp.get("/healthz")
def healthz():
    status = {"database": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy", reported, not raised
        db.session.rollback()
        status["database"] = f"error: {type(exc).__name__}"
    try:
        redis.client.ping()
    except Exception as exc:
        status["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in status.values())
    return jsonify(status), 200 if healthy else 503


_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have access to this page."),
    404: lambda: _("The page you asked for does not exist."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The upload is too large."),
    429: lambda: _("Too many attempts. Please wait a moment and try again."),
    500: lambda: _("Something went wrong on our side. Please try again later."),
}


def _error_response(code: int, message: str | None = None):
    """The error page, which itself must not fail: whatever broke the request may break the layout too."""
    try:
        message = message or _MESSAGES.get(code, _MESSAGES[500])()
    except Exception:  # a broken catalogue or locale still gets an answer
        message = "Error"
    if code >= 500:
        _discard_transaction()
    try:
        if request.path.startswith("/api/"):
            return jsonify({"error": {"code": code, "message": message}}), code
        return render_template("errors/error.html", code=code, message=message), code
    except Exception:
        current_app.logger.exception("error page %s failed; answered in plain text", code)
        _discard_transaction()
        body = f"<!doctype html><meta charset=utf-8><title>{code}</title><h1>{code}</h1><p>{escape(message)}</p>"
        return Response(body, status=code, mimetype="text/html")


def refused(exc: ServiceError, to: str):
    """A view's answer to a refused action: undo what it began, say why (in the reader's language), go back."""
    _discard_transaction()
    flash(exc.message, "error")
    return redirect(to)


def _discard_transaction() -> None:
    try:
        db.session.rollback()
    except Exception:
        current_app.logger.exception("rollback failed while answering an error")


def register_errors(app) -> None:
    for code in _MESSAGES:
        app.register_error_handler(code, lambda exc, code=code: _error_response(code))

    @app.errorhandler(ServiceError)
    def _service_refused(exc: ServiceError):
        # A refusal no view caught: nothing of the action is kept, and the person reads why.
        _discard_transaction()
        return _error_response(exc.status, exc.message)

    @app.errorhandler(InputRefused)
    def _refused(exc: InputRefused):
        return _error_response(exc.code, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return _error_response(400, _("Your form expired or was sent twice. Please reload the page and try again."))
