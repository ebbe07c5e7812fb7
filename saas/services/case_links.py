"""Signed links that open a consumer's case page without typing (sent in every SMS and e-mail about it)."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

from saas.extensions import db
from saas.models.case import Case
from tenants.models import Tenant

MAX_AGE = 90 * 24 * 60 * 60  # seconds a link keeps opening its case


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="case-link")


def _contact_tag(case: Case) -> str:
    # Ties the link to the contacts it was sent to: once retention anonymises the case (its
    # contacts are emptied) every link to it stops working. Keyed, so it reveals nothing.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{case.mobile or ''}|{case.email or ''}".encode(), hashlib.sha256).hexdigest()[:10]


def token_for(case: Case) -> str:
    return _serializer().dumps([case.id, _contact_tag(case)])


def link_for(tenant: Tenant, case: Case) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/{tenant.slug}/t/{token_for(case)}"


def case_for(tenant_id: int, token: str) -> Case | None:
    """The case of this shop a valid, unexpired link opens, or None (forged, expired, another shop's, purged)."""
    try:
        case_id, tag = _serializer().loads(token, max_age=MAX_AGE)
        case_id = int(case_id)
    except (BadData, TypeError, ValueError):  # forged, expired, malformed
        return None
    case = db.session.scalar(select(Case).where(Case.tenant_id == tenant_id, Case.id == case_id))
    if case is None or not (case.mobile or case.email) or not hmac.compare_digest(str(tag), _contact_tag(case)):
        return None
    return case
