"""REST API v1: JSON in and out; the OpenAPI document describes every route."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify

from saas.extensions import csrf
from saas.services import policies
from tenants.categories import CATEGORIES
from tenants.resolver import current_tenant, resolve_tenant

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def policy_json(version) -> dict:
    return {
        "tenant": {"slug": current_tenant.slug, "name_zh": current_tenant.name_zh, "name_en": current_tenant.name_en},
        "version": version.number,
        "effective_date": version.effective_date.isoformat(),
        "published_at": version.published_at.isoformat() if version.published_at else None,
        "terms": policies.terms_of(version).to_dict(),
        "category_rules": version.category_rules,
        "categories": {
            k: {"zh": c.zh, "en": c.en, "legal_exemption": c.legal_exemption} for k, c in CATEGORIES.items()
        },
    }


@bp.get("/tenants/<slug>/policy")
def tenant_policy(slug: str):
    resolve_tenant(slug)
    version = policies.current_version(current_tenant)
    if version is None:
        abort(404)
    return jsonify(policy_json(version))


@bp.get("/openapi.json")
def openapi():
    return jsonify(
        {
            "openapi": "3.1.0",
            "info": {"title": "After-sales service platform API", "version": "1"},
            "paths": {
                "/api/v1/tenants/{slug}/policy": {
                    "get": {
                        "summary": "The tenant's after-sales policy currently in force",
                        "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
                        "responses": {
                            "200": {"description": "policy version with terms and category rules"},
                            "404": {"description": "unknown tenant or no published policy"},
                        },
                    }
                }
            },
        }
    )
